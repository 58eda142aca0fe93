using Orleans.Concurrency;

namespace QrMahalla.Grains;

/// <summary>One account (key: user id). Created only by a <see cref="IPhoneGrain"/> after a correct code, or by an import.</summary>
[Alias("qrm.user")]
public interface IUserGrain : IGrainWithGuidKey
{
    [Alias("sign-in")] Task<SignInResult> SignInAsync(string phone, DeviceInfo device);
    [Alias("refresh")] Task<RefreshResult> RefreshAsync(RefreshRequest request);
    [Alias("profile")] Task<ProfileResult> GetProfileAsync(string sessionId);
    [Alias("update-profile")] Task<ProfileResult> UpdateProfileAsync(string sessionId, ProfileUpdate update);
    [Alias("sessions")] Task<SessionsResult> GetSessionsAsync(string sessionId);
    [Alias("revoke-device")] Task<RevokeResult> RevokeDeviceAsync(string sessionId, string deviceId);
    [Alias("logout")] Task<RevokeResult> LogoutAsync(string sessionId);
    [Alias("logout-all")] Task<RevokeResult> LogoutAllAsync(string sessionId);

    /// <summary>Wipes the account and leaves a tombstone; <see cref="IAccountDeletionGrain"/> then unbinds the phone it answers with.</summary>
    [Alias("delete")] Task<DeleteAccountResult> DeleteAccountAsync(string sessionId, ClientInfo client);

    /// <summary>
    /// The user's phone when the session is live and the user holds the admin role now (not when the token was
    /// minted); otherwise null.
    /// </summary>
    [Alias("admin-session"), ReadOnly] Task<string?> GetAdminPhoneAsync(string sessionId);

    /// <summary>The account as staff see it, or null when there is none.</summary>
    [Alias("account"), ReadOnly] Task<AdminUserView?> GetAccountAsync();

    /// <summary>Staff change: activation (deactivating revokes every session at once), role, names.</summary>
    [Alias("update-account")] Task<AdminResult<AdminUserView>> UpdateAccountAsync(AdminUserUpdate update);

    /// <summary>Revokes every session; answers how many there were, or null when there is no account.</summary>
    [Alias("revoke-all")] Task<int?> RevokeAllSessionsAsync();

    /// <summary>Staff deletion: as <see cref="DeleteAccountAsync"/> without a session of the user's own.</summary>
    [Alias("wipe")] Task<DeleteAccountResult> WipeAsync();

    /// <summary>Creates the account from a user of the old service; idempotent per legacy id.</summary>
    [Alias("import")] Task<ImportStatus> ImportAsync(string phone, LegacyUser user);
}
