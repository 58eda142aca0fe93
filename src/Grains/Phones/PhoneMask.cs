using System.Text.RegularExpressions;

namespace QrMahalla.Grains.Phones;

/// <summary>How a phone number appears in logs: country and operator prefix and the last two digits only.</summary>
public static partial class PhoneMask
{
    public static string Mask(string? phone) =>
        phone is not { Length: > 8 } ? "***" : phone[..6] + new string('*', phone.Length - 8) + phone[^2..];

    /// <summary>Masks every E.164 number in a text (Orleans names phone grains by their number in its own logs).</summary>
    public static string MaskAll(string text) =>
        text.Contains('+') ? E164().Replace(text, match => Mask(match.Value)) : text;

    [GeneratedRegex(@"\+\d{8,15}")]
    private static partial Regex E164();
}
