namespace QrMahalla.Grains;

/// <summary>One phone number (key: E.164). Owns the outstanding code and the phone → user binding.</summary>
[Alias("qrm.phone")]
public interface IPhoneGrain : IGrainWithStringKey
{
    [Alias("request-code")] Task<SendCodeResult> RequestCodeAsync(ClientInfo client);
    [Alias("verify")] Task<VerifyResult> VerifyAsync(string code, DeviceInfo device);
    [Alias("unbind")] Task UnbindAsync(Guid userId);
}
