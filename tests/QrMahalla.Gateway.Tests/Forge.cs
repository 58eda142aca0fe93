using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace QrMahalla.Gateway.Tests;

/// <summary>Tokens an attacker (or a careless client) might present, built from a real token's claims.</summary>
public static class Forge
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public static ECDsaSecurityKey ServiceKey()
    {
        var ec = ECDsa.Create();
        ec.ImportFromPem(TestSettings.Secrets.Pem);
        return new ECDsaSecurityKey(ec) { KeyId = TestSettings.Secrets.Kid };
    }

    public static ECDsaSecurityKey NewKey(string kid) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid };

    /// <summary>A token with the claims of <paramref name="template"/>, changed by <paramref name="change"/>, signed as asked.</summary>
    public static string Sign(
        string template, SigningCredentials credentials, string type = "at+jwt",
        Action<Dictionary<string, object>>? change = null, IDictionary<string, object>? header = null)
    {
        var claims = Api.Payload(template).EnumerateObject().ToDictionary(p => p.Name, p => (object)(p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetInt64() : p.Value.GetString()!));
        change?.Invoke(claims);
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Claims = claims,
            SigningCredentials = credentials,
            AdditionalHeaderClaims = header,
        });
    }

    public static SigningCredentials Es256(ECDsaSecurityKey key) => new(key, SecurityAlgorithms.EcdsaSha256);

    /// <summary>The classic confusion attack: HS256 keyed with bytes of the service's public key.</summary>
    public static string Hs256WithPublicKey(string template, byte[] publicKeyBytes)
    {
        var header = Base64UrlEncoder.Encode($"{{\"alg\":\"HS256\",\"typ\":\"at+jwt\",\"kid\":\"{TestSettings.Secrets.Kid}\"}}");
        var payload = template.Split('.')[1];
        var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(publicKeyBytes, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }

    public static string AlgNone(string template)
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}");
        return $"{header}.{template.Split('.')[1]}.";
    }
}
