using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace QrMahalla.Gateway.Tests;

/// <summary>Every forged or misused token gets 401, including ones built from a live session's real claims.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenHardeningTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    private async Task AssertRefusedAsync(string token) =>
        await Api.Error(await api.GetAsync("/api/users/me/", token), HttpStatusCode.Unauthorized, "invalid_token");

    [Fact]
    public async Task A_re_signed_copy_of_a_live_token_is_accepted_so_the_forgeries_below_fail_for_their_flaw_only()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        var copy = Forge.Sign(login.Access, Forge.Es256(Forge.ServiceKey()));

        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", copy)).StatusCode);
    }

    [Fact]
    public async Task Alg_none_is_refused() =>
        await AssertRefusedAsync(Forge.AlgNone((await api.LoginAsync(TestSettings.NewPhone())).Access));

    [Fact]
    public async Task Hs256_signed_with_the_public_key_is_refused()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var jwk = (await Api.Json(await api.GetAsync("/.well-known/jwks.json"))).GetProperty("keys")[0];
        var key = Forge.ServiceKey().ECDsa;

        await AssertRefusedAsync(Forge.Hs256WithPublicKey(login.Access, Encoding.UTF8.GetBytes(key.ExportSubjectPublicKeyInfoPem())));
        await AssertRefusedAsync(Forge.Hs256WithPublicKey(login.Access, key.ExportSubjectPublicKeyInfo()));
        await AssertRefusedAsync(Forge.Hs256WithPublicKey(login.Access, Encoding.UTF8.GetBytes(jwk.GetRawText())));
    }

    [Fact]
    public async Task A_key_the_service_does_not_publish_is_refused_whatever_its_kid()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(Forge.NewKey("attacker"))));
        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(Forge.NewKey(TestSettings.Secrets.Kid))));
    }

    [Fact]
    public async Task Jwk_and_jku_headers_do_not_bring_their_own_key()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var attacker = Forge.NewKey("attacker");
        var embedded = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(attacker.ECDsa) { KeyId = "attacker" });
        var jwk = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = embedded.Crv, ["x"] = embedded.X, ["y"] = embedded.Y, ["kid"] = "attacker" };

        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(attacker), header: new Dictionary<string, object> { ["jwk"] = jwk }));
        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(attacker), header: new Dictionary<string, object> { ["jku"] = "http://127.0.0.1:9/jwks.json" }));
    }

    [Theory]
    [InlineData("aud", "someone-else")]
    [InlineData("iss", "https://evil.example")]
    public async Task Wrong_audience_or_issuer_is_refused(string claim, string value)
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(Forge.ServiceKey()), change: c => c[claim] = value));
    }

    [Fact]
    public async Task A_token_of_the_wrong_type_is_refused_even_with_a_valid_signature()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(Forge.ServiceKey()), type: "JWT"));
        await AssertRefusedAsync(Forge.Sign(login.Access, Forge.Es256(Forge.ServiceKey()), type: "refresh+jwt"));
    }

    [Fact]
    public async Task An_expired_access_token_is_refused()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", login.Access)).StatusCode);

        factory.Time.Advance(TimeSpan.FromMinutes(16));

        await AssertRefusedAsync(login.Access);
        Assert.Equal(HttpStatusCode.OK, (await api.RefreshAsync(login.Refresh)).StatusCode);
    }

    [Fact]
    public async Task An_expired_refresh_token_is_refused()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        factory.Time.Advance(TimeSpan.FromDays(31));

        await Api.Error(await api.RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");
    }

    [Fact]
    public async Task Two_concurrent_refreshes_with_one_token_succeed_at_most_once()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => api.RefreshAsync(login.Refresh)));

        // Exactly one: the first rotates, the next presents a rotated-away token and revokes the session, so zero
        // successes (a refresh that never works) fails as surely as two.
        Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
    }
}
