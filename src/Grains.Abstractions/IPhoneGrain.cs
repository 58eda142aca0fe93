using Orleans.Concurrency;

namespace QrMahalla.Grains;

/// <summary>One phone number (key: E.164). Owns the outstanding code and the phone → user binding.</summary>
[Alias("qrm.phone")]
public interface IPhoneGrain : IGrainWithStringKey
{
    [Alias("request-code")] Task<SendCodeResult> RequestCodeAsync(ClientInfo client);
    [Alias("verify")] Task<VerifyResult> VerifyAsync(string code, DeviceInfo device);
    [Alias("unbind")] Task UnbindAsync(Guid userId);

    /// <summary>The bound user id, if any.</summary>
    [Alias("user-id")] Task<Guid?> GetUserIdAsync();

    /// <summary>The phone's limits and code as staff may see them; never the code.</summary>
    [Alias("status")] Task<PhoneStatus> GetStatusAsync();

    /// <summary>Lifts a lockout and forgets the dead codes that caused it.</summary>
    [Alias("unlock")] Task<PhoneStatus> UnlockAsync();

    /// <summary>Binds this phone to an imported user of the old service, in the same order as a first login.</summary>
    [Alias("import")] Task<ImportStatus> ImportAsync(LegacyUser user);
}
