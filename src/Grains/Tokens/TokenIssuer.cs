using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Grains.Tokens;

/// <summary>Mints ES256 access and refresh tokens. Lives in the silo: only silos hold the private keys.</summary>
public sealed class TokenIssuer(AuthSecrets secrets, IOptions<JwtOptions> options, RuleClock clock)
{
    public const string AccessTokenType = "at+jwt";
    public const string RefreshTokenType = "refresh+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly JwtOptions jwt = options.Value;

    public static string NewTokenId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16));

    /// <summary>An access and a refresh token; the refresh token never outlives <paramref name="sessionEnd"/>.</summary>
    public TokenPair Issue(Guid userId, string sessionId, string role, string refreshTokenId, DateTimeOffset sessionEnd) =>
        new(IssueAccess(userId, sessionId, role), IssueRefresh(userId, sessionId, refreshTokenId, sessionEnd));

    public string IssueAccess(Guid userId, string sessionId, string role) =>
        Create(AccessTokenType, jwt.Audience, jwt.AccessTokenLifetime, new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = userId.ToString(),
            ["sid"] = sessionId,
            ["role"] = role,
            [JwtRegisteredClaimNames.Jti] = NewTokenId(),
        });

    private string IssueRefresh(Guid userId, string sessionId, string tokenId, DateTimeOffset sessionEnd) =>
        Create(RefreshTokenType, jwt.RefreshAudience, Min(jwt.RefreshTokenLifetime, sessionEnd - clock.UtcNow), new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = userId.ToString(),
            ["sid"] = sessionId,
            [JwtRegisteredClaimNames.Jti] = tokenId,
        });

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private string Create(string type, string audience, TimeSpan lifetime, Dictionary<string, object> claims)
    {
        var now = clock.UtcNow.UtcDateTime;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = type,
            Issuer = jwt.Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(secrets.CurrentSigningKey, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
