using Microsoft.Extensions.Options;
using PhoneNumbers;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Phones;

public enum PhoneParseStatus
{
    Ok,
    Invalid,
    RegionNotAllowed,
}

public readonly record struct PhoneParseResult(PhoneParseStatus Status, string? E164 = null, string? Region = null);

/// <summary>
/// Turns whatever a client typed into one E.164 string, so <c>+998 90 123-45-67</c>, <c>998901234567</c> and
/// <c>+998901234567</c> are one person.
/// </summary>
public sealed class PhoneNumberParser(IOptions<PhoneOptions> phoneOptions, IOptions<SmsOptions> smsOptions)
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private readonly string defaultRegion = phoneOptions.Value.DefaultRegion.ToUpperInvariant();
    private readonly HashSet<string> allowedRegions = smsOptions.Value.AllowedRegions
        .Select(r => r.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

    public PhoneParseResult Parse(string? input)
    {
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32)
        {
            return new(PhoneParseStatus.Invalid);
        }

        PhoneNumber number;
        try
        {
            number = Util.Parse(input.Trim(), defaultRegion);
        }
        catch (NumberParseException)
        {
            return new(PhoneParseStatus.Invalid);
        }

        if (!Util.IsValidNumber(number) || !CanReceiveSms(number))
        {
            return new(PhoneParseStatus.Invalid);
        }

        var region = Util.GetRegionCodeForNumber(number);
        var e164 = Util.Format(number, PhoneNumberFormat.E164);
        return allowedRegions.Contains(region)
            ? new(PhoneParseStatus.Ok, e164, region)
            : new(PhoneParseStatus.RegionNotAllowed, e164, region);
    }

    private static bool CanReceiveSms(PhoneNumber number) =>
        Util.GetNumberType(number) is PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE;
}
