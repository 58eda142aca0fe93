using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Secrets;

/// <summary>
/// The secrets every silo must share: the code-hash key and the token-signing keys (oldest first; the last signs).
/// </summary>
public sealed class AuthSecrets
{
    public const string DevelopmentFileName = "dev-secrets.json";

    private AuthSecrets(byte[] hashKey, IReadOnlyList<ECDsaSecurityKey> signingKeys)
    {
        HashKey = hashKey;
        SigningKeys = signingKeys;
    }

    public byte[] HashKey { get; }

    public IReadOnlyList<ECDsaSecurityKey> SigningKeys { get; }

    public ECDsaSecurityKey CurrentSigningKey => SigningKeys[^1];

    /// <summary>
    /// Reads the secrets from configuration. In Development, whatever is missing is generated once and kept in
    /// <paramref name="dataFolder"/>; elsewhere a missing secret stops the process.
    /// </summary>
    public static AuthSecrets Load(OtpOptions otp, JwtOptions jwt, IHostEnvironment environment, string dataFolder)
    {
        var hashKey = string.IsNullOrWhiteSpace(otp.HashKey) ? null : DecodeHashKey(otp.HashKey);
        var signing = jwt.SigningKeys.Count == 0 ? null : jwt.SigningKeys.Select(ImportSigningKey).ToList();

        if ((hashKey is null || signing is null) && !environment.IsDevelopment())
        {
            var missing = hashKey is null ? "Otp:HashKey" : "Jwt:SigningKeys";
            throw new InvalidOperationException(
                $"{missing} is not configured; outside Development the signing keys and the code-hash key must come from configuration.");
        }

        if (hashKey is null || signing is null)
        {
            var generated = LoadOrCreateDevelopmentFile(Path.Combine(dataFolder, DevelopmentFileName));
            hashKey ??= DecodeHashKey(generated.HashKey);
            signing ??= generated.SigningKeys.Select(ImportSigningKey).ToList();
        }

        if (hashKey.Length < 32)
        {
            throw new InvalidOperationException("Otp:HashKey must be at least 32 bytes of base64.");
        }

        if (signing.Select(k => k.KeyId).Distinct(StringComparer.Ordinal).Count() != signing.Count)
        {
            throw new InvalidOperationException("Jwt:SigningKeys has two keys with the same kid.");
        }

        return new AuthSecrets(hashKey, signing);
    }

    /// <summary>A fresh set of secrets, for tests and for the development file.</summary>
    public static (string HashKey, SigningKeyOptions SigningKey) Generate()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(9));
        return (Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), new SigningKeyOptions { Kid = kid, Pem = ec.ExportPkcs8PrivateKeyPem() });
    }

    private static byte[] DecodeHashKey(string value)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Otp:HashKey is not valid base64.");
        }
    }

    private static ECDsaSecurityKey ImportSigningKey(SigningKeyOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Kid))
        {
            throw new InvalidOperationException("Jwt:SigningKeys has a key without a kid.");
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(options.Pem);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            ec.Dispose();
            throw new InvalidOperationException($"Jwt:SigningKeys key '{options.Kid}' is not a PEM-encoded EC private key.");
        }

        // A public key or another 256-bit curve would pass the import and fail only at the first login.
        ECParameters parameters;
        try
        {
            parameters = ec.ExportParameters(includePrivateParameters: true);
        }
        catch (CryptographicException)
        {
            ec.Dispose();
            throw new InvalidOperationException($"Jwt:SigningKeys key '{options.Kid}' has no private part; it cannot sign.");
        }

        if (parameters.D is null || parameters.Curve.Oid?.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            ec.Dispose();
            throw new InvalidOperationException($"Jwt:SigningKeys key '{options.Kid}' must be a P-256 private key for ES256.");
        }

        return new ECDsaSecurityKey(ec) { KeyId = options.Kid };
    }

    private static DevelopmentSecrets LoadOrCreateDevelopmentFile(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var (hashKey, signingKey) = Generate();
        var fresh = new DevelopmentSecrets { HashKey = hashKey, SigningKeys = [signingKey] };
        try
        {
            // CreateNew makes concurrent first starts agree: exactly one writer wins, the others read its file. Only
            // the owner may read it: it holds the signing key and the code-hash key.
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using var stream = new FileStream(path, create);
            JsonSerializer.Serialize(stream, fresh, JsonOptions);
            return fresh;
        }
        catch (IOException) when (File.Exists(path))
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    var existing = JsonSerializer.Deserialize<DevelopmentSecrets>(File.ReadAllText(path), JsonOptions);
                    if (existing is { HashKey.Length: > 0, SigningKeys.Count: > 0 })
                    {
                        return existing;
                    }
                }
                catch (JsonException)
                {
                    // Half written by another process, or broken: asked again below until the writer's grace is over.
                }

                if (attempt >= 50)
                {
                    throw new InvalidOperationException($"The development secrets file '{path}' is unreadable; delete it to generate new keys.");
                }

                Thread.Sleep(20); // another process is still writing the file it just created
            }
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private sealed class DevelopmentSecrets
    {
        [JsonPropertyName("hash_key")] public string HashKey { get; set; } = "";
        [JsonPropertyName("signing_keys")] public List<SigningKeyOptions> SigningKeys { get; set; } = [];
    }
}
