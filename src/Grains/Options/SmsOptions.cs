using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

public enum SmsProvider
{
    File,
    Console,
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
}

/// <summary>Section <c>Phone</c>.</summary>
public sealed class PhoneOptions
{
    public const string Section = "Phone";

    [Required, StringLength(2, MinimumLength = 2)] public string DefaultRegion { get; set; } = "UZ";
}
