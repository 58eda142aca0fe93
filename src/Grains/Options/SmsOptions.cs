using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

public enum SmsProvider
{
    File,
    Console,
    Eskiz,
    Webhook,
}

/// <summary>Section <c>Sms</c>: where codes go and which regions may receive them.</summary>
public sealed class SmsOptions
{
    public const string Section = "Sms";

    /// <summary>No default outside Development: production must choose a real provider.</summary>
    public SmsProvider? Provider { get; set; }
    [Required] public string FilePath { get; set; } = "data/sms-outbox.jsonl";
    public string Template { get; set; } = "QR Mahalla: your code is {code}";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
    public List<string> AllowedRegions { get; set; } = ["UZ"];

    /// <summary>
    /// When set, messages end with the origin-bound one-time code line <c>@domain #code</c>, so browsers and phones
    /// can fill the code in by themselves.
    /// </summary>
    public string? WebOtpDomain { get; set; }

    public EskizOptions Eskiz { get; set; } = new();

    public WebhookOptions Webhook { get; set; } = new();
}

/// <summary>Section <c>Sms:Eskiz</c>: the Uzbek SMS gateway notify.eskiz.uz.</summary>
public sealed class EskizOptions
{
    public Uri BaseUrl { get; set; } = new("https://notify.eskiz.uz/");
    public string? Email { get; set; }
    public string? Password { get; set; }

    /// <summary>The sender id shown on the phone ("4546" is Eskiz's shared default).</summary>
    public string From { get; set; } = "4546";

    /// <summary>How long a login token is trusted when it does not say itself; renewed a day before.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(29);
}

/// <summary>Section <c>Sms:Webhook</c>: POST <c>{phone, text}</c> to any provider's bridge, signed with a shared secret.</summary>
public sealed class WebhookOptions
{
    public Uri? Url { get; set; }
    public string? Secret { get; set; }
}

/// <summary>Section <c>Phone</c>.</summary>
public sealed class PhoneOptions
{
    public const string Section = "Phone";

    [Required, StringLength(2, MinimumLength = 2)] public string DefaultRegion { get; set; } = "UZ";
}
