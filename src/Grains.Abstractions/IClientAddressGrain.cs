namespace QrMahalla.Grains;

/// <summary>
/// Rate limits for one client address (an IPv4 address or an IPv6 /64), shared by every gateway. Counters live in
/// memory only: losing them on deactivation costs at most one window of leniency.
/// </summary>
[Alias("qrm.client-address")]
public interface IClientAddressGrain : IGrainWithStringKey
{
    [Alias("acquire")] Task<RateDecision> TryAcquireAsync(RateLimitedAction action);
}

public enum RateLimitedAction
{
    SendCode,
    VerifyCode,
}

[GenerateSerializer, Immutable, Alias("qrm.rate-decision")]
public sealed record RateDecision([property: Id(0)] bool Allowed, [property: Id(1)] int RetryAfterSeconds = 0);
