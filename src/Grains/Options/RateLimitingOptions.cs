using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

/// <summary>Section <c>RateLimiting</c>: per client address, cluster-wide. 0 turns a limit off.</summary>
public sealed class RateLimitingOptions
{
    public const string Section = "RateLimiting";

    [Range(0, 100_000)] public int SendPerIpPerMinute { get; set; } = 10;
    [Range(0, 100_000)] public int VerifyPerIpPerMinute { get; set; } = 30;

    public int LimitFor(RateLimitedAction action) => action switch
    {
        RateLimitedAction.SendCode => SendPerIpPerMinute,
        _ => VerifyPerIpPerMinute,
    };

    /// <summary>A limit set to 0 is off.</summary>
    public bool IsLimited(RateLimitedAction action) => LimitFor(action) > 0;
}
