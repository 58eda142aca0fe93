using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Otp</c>: how codes are made, how long they live and how many guesses they take.</summary>
public sealed class OtpOptions
{
    public const string Section = "Otp";

    [Range(4, 10)] public int Length { get; set; } = 6;
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromSeconds(120);
    [Range(1, 100)] public int MaxAttempts { get; set; } = 5;
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromSeconds(60);
    [Range(1, 1000)] public int MaxSendsPerHour { get; set; } = 5;
    [Range(1, 1000)] public int LockoutAfterDeadCodes { get; set; } = 3;
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Base64 key for the code HMAC; required outside Development.</summary>
    public string? HashKey { get; set; }

    /// <summary>A code is exactly <see cref="Length"/> ASCII digits; anything else is not worth a guess.</summary>
    public bool IsWellFormed(string? code) => code is not null && code.Length == Length && code.All(char.IsAsciiDigit);

    /// <summary>The longest window any code rule looks back over; code state older than this is dead weight.</summary>
    public TimeSpan LongestWindow =>
        new[] { TimeSpan.FromHours(1), CodeLifetime, ResendCooldown, LockoutDuration }.Max();
}
