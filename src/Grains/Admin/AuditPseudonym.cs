using System.Security.Cryptography;
using System.Text;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// What the audit log keeps of a deleted account's number: a keyed hash (HMAC-SHA256 under <c>Otp:HashKey</c>, its own
/// input domain), <c>phone:</c> and 16 hex digits. Staff who know a number can compute it with the same key to find
/// that number's rows; nobody can read the number back.
/// </summary>
public sealed class AuditPseudonym(AuthSecrets secrets)
{
    public string Of(string phone) =>
        "phone:" + Convert.ToHexStringLower(HMACSHA256.HashData(secrets.HashKey, Encoding.UTF8.GetBytes($"audit-phone\n{phone}")), 0, 8);
}
