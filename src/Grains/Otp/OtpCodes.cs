using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Grains.Otp;

/// <summary>Makes one-time codes and their keyed hashes; a code itself is never stored.</summary>
public sealed class OtpCodes(AuthSecrets secrets, IOptions<OtpOptions> options)
{
    private readonly int length = options.Value.Length;

    public string Generate()
    {
        var upper = (int)Math.Pow(10, length);
        return RandomNumberGenerator.GetInt32(0, upper).ToString(new string('0', length), CultureInfo.InvariantCulture);
    }

    /// <summary>HMAC-SHA256 over the phone and the code, so a hash is worthless for any other phone.</summary>
    public byte[] Hash(string phone, string code) =>
        HMACSHA256.HashData(secrets.HashKey, Encoding.UTF8.GetBytes($"{phone}\n{code}"));

    public bool Matches(byte[] expectedHash, string phone, string code) =>
        CryptographicOperations.FixedTimeEquals(expectedHash, Hash(phone, code));

    public bool IsWellFormed(string? code) => options.Value.IsWellFormed(code);
}
