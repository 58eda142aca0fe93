using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Grains;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Secrets;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Unit.Tests;

/// <summary>What the silo mints: codes and their keyed hashes, access and refresh tokens.</summary>
public sealed class TokenAndCodeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly (string HashKey, SigningKeyOptions SigningKey) Keys = AuthSecrets.Generate();
    private static readonly AuthSecrets Secrets = AuthSecrets.Load(
        new OtpOptions { HashKey = Keys.HashKey }, new JwtOptions { SigningKeys = [AuthSecrets.Generate().SigningKey, Keys.SigningKey] },
        new TestEnvironment("Production"), Path.GetTempPath());

    [Theory]
    [InlineData(6)]
    [InlineData(4)]
    public void Codes_have_exactly_the_configured_number_of_digits_leading_zeros_included(int length)
    {
        var codes = new OtpCodes(Secrets, Options.Create(new OtpOptions { Length = length }));

        var made = Enumerable.Range(0, 2000).Select(_ => codes.Generate()).ToList();

        Assert.All(made, code => Assert.Matches($"^[0-9]{{{length}}}$", code));
        Assert.Contains(made, code => code[0] == '0');
        Assert.True(made.Distinct().Count() > (length == 6 ? 1990 : 1500), "codes repeat far more often than chance allows");
    }

    [Fact]
    public void A_code_hash_is_hmac_sha256_of_phone_and_code_under_the_key_and_matches_only_that_pair()
    {
        var codes = new OtpCodes(Secrets, Options.Create(new OtpOptions()));
        var hash = codes.Hash("+998901234567", "123456");

        Assert.Equal(HMACSHA256.HashData(Convert.FromBase64String(Keys.HashKey), Encoding.UTF8.GetBytes("+998901234567\n123456")), hash);
        Assert.True(codes.Matches(hash, "+998901234567", "123456"));
        Assert.False(codes.Matches(hash, "+998901234567", "123457"));
        Assert.False(codes.Matches(hash, "+998901234568", "123456"));
        Assert.True(codes.IsWellFormed("123456"));
        Assert.False(codes.IsWellFormed("12345"));
    }

    [Fact]
    public async Task An_access_token_is_es256_under_the_newest_key_with_its_type_audience_claims_and_lifetime()
    {
        var jwt = new JwtOptions();
        var user = Guid.NewGuid();

        var pair = Issuer(jwt).Issue(user, "session-1", "admin", "refresh-1", Now.AddDays(90));
        var access = new JsonWebToken(pair.Access);

        Assert.Equal("ES256", access.Alg);
        Assert.Equal(TokenIssuer.AccessTokenType, access.Typ);
        Assert.Equal(Keys.SigningKey.Kid, access.Kid);
        Assert.Equal(jwt.Issuer, access.Issuer);
        Assert.Equal([jwt.Audience], access.Audiences);
        Assert.Equal(user.ToString(), access.Subject);
        Assert.Equal("session-1", access.GetClaim("sid").Value);
        Assert.Equal("admin", access.GetClaim("role").Value);
        Assert.Equal(22, access.Id.Length);
        Assert.Equal(Now.UtcDateTime, access.IssuedAt);
        Assert.Equal(Now.UtcDateTime, access.ValidFrom);
        Assert.Equal((Now + jwt.AccessTokenLifetime).UtcDateTime, access.ValidTo);
        Assert.True(await VerifiesAsync(pair.Access, jwt.Audience));
    }

    [Fact]
    public async Task A_refresh_token_has_its_own_type_and_audience_and_never_outlives_its_session()
    {
        var jwt = new JwtOptions();
        var user = Guid.NewGuid();

        var early = new JsonWebToken(Issuer(jwt).Issue(user, "s", "user", "refresh-1", Now.AddDays(90)).Refresh);
        var late = Issuer(jwt).Issue(user, "s", "user", "refresh-2", Now.AddDays(2)).Refresh;

        Assert.Equal(TokenIssuer.RefreshTokenType, early.Typ);
        Assert.Equal([jwt.RefreshAudience], early.Audiences);
        Assert.Equal("refresh-1", early.Id);
        Assert.Equal("s", early.GetClaim("sid").Value);
        Assert.False(early.TryGetClaim("role", out _));
        Assert.Equal((Now + jwt.RefreshTokenLifetime).UtcDateTime, early.ValidTo);
        Assert.Equal(Now.AddDays(2).UtcDateTime, new JsonWebToken(late).ValidTo);
        Assert.True(await VerifiesAsync(late, jwt.RefreshAudience));
        Assert.False(await VerifiesAsync(late, jwt.Audience));
    }

    [Fact]
    public void Token_ids_are_128_random_bits_in_base64url()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => TokenIssuer.NewTokenId()).ToList();

        Assert.All(ids, id => Assert.Equal(16, Base64UrlEncoder.DecodeBytes(id).Length));
        Assert.Equal(100, ids.Distinct().Count());
    }

    private static TokenIssuer Issuer(JwtOptions jwt) => new(Secrets, Options.Create(jwt), new RuleClock(new FixedTime(Now)));

    private static async Task<bool> VerifiesAsync(string token, string audience)
    {
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = new JwtOptions().Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = Secrets.SigningKeys,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            LifetimeValidator = (_, _, _, _) => true,
        });
        return result.IsValid;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
