using Orleans.Concurrency;
using QrMahalla.Grains.Admin;

namespace QrMahalla.Grains.Accounts;

/// <summary>
/// The account is wiped first (leaving a tombstone), then its phone is unbound, then the audit log forgets the number.
/// A crash between the first two is healed by the phone's next login, which finds the tombstone and binds a new account;
/// a database that fails the last step (after its retries) fails the call, with the account already gone.
/// </summary>
[StatelessWorker]
public sealed class AccountDeletionGrain(AuditLog audit) : Grain, IAccountDeletionGrain
{
    public async Task<DeleteAccountResult> DeleteOwnAsync(Guid userId, string sessionId, ClientInfo client) =>
        await UnbindAsync(userId, await GrainFactory.GetGrain<IUserGrain>(userId).DeleteAccountAsync(sessionId, client));

    public async Task<DeleteAccountResult> DeleteByStaffAsync(Guid userId) =>
        await UnbindAsync(userId, await GrainFactory.GetGrain<IUserGrain>(userId).WipeAsync());

    private async Task<DeleteAccountResult> UnbindAsync(Guid userId, DeleteAccountResult deleted)
    {
        if (deleted is { Status: AccountStatus.Ok, Phone: { Length: > 0 } phone })
        {
            await GrainFactory.GetGrain<IPhoneGrain>(phone).UnbindAsync(userId);
            await audit.ForgetPhoneAsync(phone);
        }

        return deleted;
    }
}
