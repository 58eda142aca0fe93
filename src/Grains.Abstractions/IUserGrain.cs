using Orleans.Concurrency;

namespace QrMahalla.Grains;

/// <summary>One account (key: user id). Created only by a <see cref="IPhoneGrain"/> after a correct code.</summary>
[Alias("qrm.user")]
public interface IUserGrain : IGrainWithGuidKey
{
    [Alias("sign-in")] Task<SignInResult> SignInAsync(string phone, DeviceInfo device);
    [Alias("refresh")] Task<RefreshResult> RefreshAsync(RefreshRequest request);
    [Alias("session-live"), ReadOnly] Task<bool> IsSessionLiveAsync(string sessionId);
    [Alias("profile")] Task<ProfileResult> GetProfileAsync(string sessionId);
    [Alias("update-profile")] Task<ProfileResult> UpdateProfileAsync(string sessionId, ProfileUpdate update);
    [Alias("sessions")] Task<SessionsResult> GetSessionsAsync(string sessionId);
    [Alias("revoke-device")] Task<RevokeResult> RevokeDeviceAsync(string sessionId, string deviceId);
    [Alias("logout")] Task<RevokeResult> LogoutAsync(string sessionId);
    [Alias("logout-all")] Task<RevokeResult> LogoutAllAsync(string sessionId);
    /// <summary>Wipes the account and leaves a tombstone; the caller then unbinds the phone it answers with.</summary>
    [Alias("delete")] Task<DeleteAccountResult> DeleteAccountAsync(string sessionId);

    /// <summary>Staff switch: an inactive user cannot sign in or refresh, and its sessions stop at once.</summary>
    [Alias("set-active")] Task SetActiveAsync(bool active);
}
