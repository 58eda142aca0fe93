using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Otp</c>: how codes are made, how long they live and how many guesses they take.</summary>
public sealed class OtpOptions
{
    public const string Section = "Otp";

    [Range(4, 9)] public int Length { get; set; } = 6;
    public TimeSpan CodeLifetime { get; set; } = TimeSpan.FromSeconds(120);
    [Range(1, 100)] public int MaxAttempts { get; set; } = 5;
    public TimeSpan ResendCooldown { get; set; } = TimeSpan.FromSeconds(60);
    [Range(1, 1000)] public int MaxSendsPerHour { get; set; } = 5;
    [Range(1, 1000)] public int LockoutAfterDeadCodes { get; set; } = 3;

    /// <summary>Wrong guesses in a row, across codes, that lock the phone (NIST SP 800-63B §5.2.2).</summary>
    [Range(1, 1000)] public int MaxFailedVerifications { get; set; } = 10;
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Base64 key for the code HMAC; required outside Development.</summary>
    public string? HashKey { get; set; }

    /// <summary>
    /// Phone (E.164, the "+" optional) → fixed code, for app-store review and end-to-end checks. Such phones get no
    /// SMS. None by default; refused outside Development unless <see cref="AllowTestNumbersInProduction"/>.
    /// </summary>
    public Dictionary<string, string> TestNumbers { get; set; } = [];

    public bool AllowTestNumbersInProduction { get; set; }

    /// <summary>The fixed code of a test number, or null for every real phone.</summary>
    public string? TestCodeFor(string e164)
    {
        foreach (var (phone, code) in TestNumbers)
        {
            if (string.Equals(phone.StartsWith('+') ? phone : "+" + phone, e164, StringComparison.Ordinal))
            {
                return code;
            }
        }

        return null;
    }

    /// <summary>A code is exactly <see cref="Length"/> ASCII digits; anything else is not worth a guess.</summary>
    public bool IsWellFormed(string? code) => code is not null && code.Length == Length && code.All(char.IsAsciiDigit);
}

/// <summary>
/// The rules of <see cref="OtpOptions"/> that depend on the environment or span several keys. Every environment but
/// Development is guarded (a staging environment is reachable too): no test numbers unless allowed, codes of at least
/// 6 digits that live at most 10 minutes (ASVS 6.5.x).
/// </summary>
public sealed class OtpOptionsValidator(IHostEnvironment environment) : IValidateOptions<OtpOptions>
{
    public static readonly TimeSpan LongestSafeLifetime = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, OtpOptions options)
    {
        var development = environment.IsDevelopment();
        if (options.TestNumbers.Count > 0 && !development && !options.AllowTestNumbersInProduction)
        {
            return ValidateOptionsResult.Fail(
                "Otp:TestNumbers is refused outside Development unless Otp:AllowTestNumbersInProduction is true.");
        }

        if (!development && options.Length < 6)
        {
            return ValidateOptionsResult.Fail("Otp:Length must be at least 6 outside Development.");
        }

        if (!development && options.CodeLifetime > LongestSafeLifetime)
        {
            return ValidateOptionsResult.Fail("Otp:CodeLifetime must be at most 10 minutes outside Development.");
        }

        var badCode = options.TestNumbers.FirstOrDefault(t => !options.IsWellFormed(t.Value));
        return badCode.Key is null
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Otp:TestNumbers:{badCode.Key} must be a code of Otp:Length ({options.Length}) digits.");
    }
}
