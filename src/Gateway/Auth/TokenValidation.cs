using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Gateway.Auth;

/// <summary>
/// Validation pinned to what the silo mints: ES256 only, our issuer and audience, one token type, the kid must
/// name a published key, and lifetimes read from the rule clock.
/// </summary>
public static class TokenValidation
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public static TokenValidationParameters Parameters(JwtOptions jwt, RuleClock clock, string tokenType) => new()
    {
        ValidIssuer = jwt.Issuer,
        ValidAudience = jwt.Audience,
        ValidTypes = [tokenType],
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        TryAllIssuerSigningKeys = false,
        ClockSkew = ClockSkew,
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = "role",
        LifetimeValidator = (notBefore, expires, _, _) =>
        {
            var now = clock.UtcNow.UtcDateTime;
            return expires is { } exp && exp > now - ClockSkew && (notBefore is not { } nbf || nbf <= now + ClockSkew);
        },
    };
}

/// <summary>Validates refresh tokens with the same public keys and rules as access tokens, but the refresh type.</summary>
public sealed class RefreshTokenValidator(ClusterSigningKeys keys, Microsoft.Extensions.Options.IOptions<JwtOptions> jwt, RuleClock clock)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    public async Task<(string UserId, string SessionId, string TokenId)?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 4096)
        {
            return null;
        }

        var parameters = TokenValidation.Parameters(jwt.Value, clock, TokenIssuer.RefreshTokenType);

        // Refresh tokens carry their own audience; those minted before it existed carry the API's until they expire.
        parameters.ValidAudience = null;
        parameters.ValidAudiences = [jwt.Value.RefreshAudience, jwt.Value.Audience];
        parameters.IssuerSigningKeys = (await keys.GetAsync(cancellationToken)).SecurityKeys;
        var result = await Handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                keys.RequestRefresh();
            }

            return null;
        }

        var claims = result.Claims;
        return claims.TryGetValue(JwtRegisteredClaimNames.Sub, out var sub)
               && claims.TryGetValue("sid", out var sid)
               && claims.TryGetValue(JwtRegisteredClaimNames.Jti, out var jti)
            ? (sub.ToString()!, sid.ToString()!, jti.ToString()!)
            : null;
    }
}
