using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Grains.Admin;

/// <summary>Role names. Only <see cref="Admin"/> means anything here; other names (from the old service) are kept as data.</summary>
public static partial class UserRoles
{
    public const string User = "user";
    public const string Admin = "admin";

    public static bool IsValid(string? role) => role is not null && RoleName().IsMatch(role);

    [GeneratedRegex("^[a-z][a-z0-9_-]{0,29}$")]
    private static partial Regex RoleName();
}

/// <summary><c>Auth:AdminPhones</c> in E.164, parsed once at start: an entry that is not a phone stops the process.</summary>
public sealed class AdminPhones
{
    private readonly HashSet<string> phones;

    public AdminPhones(IOptions<AuthOptions> options, PhoneNumberParser parser)
    {
        phones = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in options.Value.AdminPhones)
        {
            var parsed = parser.Parse(entry);
            if (parsed.E164 is null)
            {
                throw new InvalidOperationException($"Auth:AdminPhones has an entry that is not a phone number ('{PhoneMask.Mask(entry)}').");
            }

            phones.Add(parsed.E164);
        }
    }

    public bool Contains(string phone) => phones.Contains(phone);
}

/// <summary>Imported users get an id derived from their old id, so an import re-run finds what it created before.</summary>
public static class LegacyIds
{
    public static Guid UserId(long legacyId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"qrmahalla:django-user:{legacyId}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (name-based, custom hash)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
