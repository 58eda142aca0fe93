using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Jwt</c>: token issuing and session rules.</summary>
public sealed class JwtOptions
{
    public const string Section = "Jwt";

    [Required] public string Issuer { get; set; } = "qrmahalla";
    [Required] public string Audience { get; set; } = "qrmahalla-api";
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(30);
    [Range(1, 1000)] public int MaxSessionsPerUser { get; set; } = 20;
    public bool RotateRefreshTokens { get; set; } = true;

    /// <summary>Signing keys, oldest first: the last one signs, all of them validate.</summary>
    public List<SigningKeyOptions> SigningKeys { get; set; } = [];
}

public sealed class SigningKeyOptions
{
    public string Kid { get; set; } = "";
    public string Pem { get; set; } = "";
}
