using System.Diagnostics;
using OpenTelemetry;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Grains.Telemetry;

/// <summary>
/// Masks phone numbers in every finished span before an exporter sees it: Orleans names a phone grain by its number
/// (<c>qrm.phone/+998901234567</c> in the target tag), and ASP.NET records the path (<c>url.path</c> of an admin
/// phone lookup). Registered ahead of the exporters, so it runs first.
/// </summary>
public sealed class PhoneMaskingProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (data.DisplayName.Contains('+'))
        {
            data.DisplayName = PhoneMask.MaskAll(data.DisplayName);
        }

        if (data.StatusDescription is { } status && PhoneMask.MaskAll(status) is var maskedStatus && !ReferenceEquals(status, maskedStatus))
        {
            data.SetStatus(data.Status, maskedStatus);
        }

        List<KeyValuePair<string, string>>? masked = null;
        foreach (var (key, value) in data.TagObjects)
        {
            if (value is string text && PhoneMask.MaskAll(text) is var maskedText && !ReferenceEquals(text, maskedText))
            {
                (masked ??= []).Add(new(key, maskedText));
            }
        }

        foreach (var (key, value) in masked ?? [])
        {
            data.SetTag(key, value);
        }
    }
}
