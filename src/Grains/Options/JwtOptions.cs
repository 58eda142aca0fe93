using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Jwt</c>: token issuing and session rules.</summary>
public sealed class JwtOptions
{
    public const string Section = "Jwt";

    [Required] public string Issuer { get; set; } = "qrmahalla";
    [Required] public string Audience { get; set; } = "qrmahalla-api";

    /// <summary>
    /// The audience of refresh tokens, apart from the API's: a relying party that forgets the <c>typ</c> check still
    /// cannot take a refresh token for an access token. (Refresh tokens minted before it existed carry the API's
    /// audience; the refresh endpoint accepts those until they expire.)
    /// </summary>
    [Required] public string RefreshAudience { get; set; } = "qrmahalla-refresh";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A session ends this long after its sign-in, however often it is refreshed (ASVS 7.3.x).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>A session ends after this long without a refresh.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromDays(30);
    [Range(1, 1000)] public int MaxSessionsPerUser { get; set; } = 20;
    public bool RotateRefreshTokens { get; set; } = true;

    /// <summary>
    /// How long after a rotation the previous refresh token may be presented again (a client retrying after a lost
    /// response) and get the session's current pair instead of revoking it. 0: any replay revokes the session.
    /// </summary>
    public TimeSpan RefreshReuseGrace { get; set; } = TimeSpan.Zero;

    /// <summary>Signing keys, oldest first: the last one signs, all of them validate.</summary>
    public List<SigningKeyOptions> SigningKeys { get; set; } = [];
}

public sealed class SigningKeyOptions
{
    public string Kid { get; set; } = "";
    public string Pem { get; set; } = "";
}
