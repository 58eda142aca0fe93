namespace QrMahalla.Grains;

/// <summary>
/// Deletes an account and then unbinds its phone: the one place both steps happen, for the user's own deletion and
/// for staff. A separate grain because the account never calls its phone (a login calls the other way round, and
/// the two would wait on each other). Stateless; key 0.
/// </summary>
[Alias("qrm.account-deletion")]
public interface IAccountDeletionGrain : IGrainWithIntegerKey
{
    /// <summary>The user deletes their own account from a live session (audited by the account).</summary>
    [Alias("delete-own")] Task<DeleteAccountResult> DeleteOwnAsync(Guid userId, string sessionId, ClientInfo client);

    /// <summary>Staff delete an account; the caller has authorised and audited it.</summary>
    [Alias("delete-by-staff")] Task<DeleteAccountResult> DeleteByStaffAsync(Guid userId);
}
