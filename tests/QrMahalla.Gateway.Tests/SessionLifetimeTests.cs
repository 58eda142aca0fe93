using System.Net;

namespace QrMahalla.Gateway.Tests;

/// <summary>A gateway of its own: these tests move its clock by months.</summary>
public sealed class SessionLifetimeFactory() : GatewayFactory(TestSettings.NewTempFolder("session-lifetime"), new());

/// <summary>Sessions end (90 days after sign-in, or 30 days idle), and refresh tokens carry an audience of their own.</summary>
public sealed class SessionLifetimeTests(SessionLifetimeFactory factory) : IClassFixture<SessionLifetimeFactory>
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    [Fact]
    public async Task A_session_refreshed_every_twenty_days_ends_ninety_days_after_its_sign_in_and_leaves_the_list()
    {
        var phone = TestSettings.NewPhone();
        var signedIn = factory.Time.GetUtcNow();
        var login = await api.LoginAsync(phone, "old-phone");
        var refresh = login.Refresh;
        for (var i = 0; i < 4; i++)
        {
            factory.Time.Advance(TimeSpan.FromDays(20));
            var rotated = await Api.Json(await api.RefreshAsync(refresh));
            refresh = rotated.GetProperty("refresh").GetString()!;
        }

        // Day 80: the new refresh token would live 30 days, but never past the session's end at day 90.
        Assert.Equal(signedIn.AddDays(90).ToUnixTimeSeconds(), Api.Payload(refresh).GetProperty("exp").GetInt64());

        factory.Time.Advance(TimeSpan.FromDays(5));
        var other = await api.LoginAsync(phone, "new-phone");
        factory.Time.Advance(TimeSpan.FromDays(5));

        await Api.Error(await api.RefreshAsync(refresh), HttpStatusCode.Unauthorized, "invalid_token");
        var access = (await Api.Json(await api.RefreshAsync(other.Refresh))).GetProperty("access").GetString();
        var list = await Api.Json(await api.GetAsync("/api/users/me/sessions/", access));
        Assert.Equal(["new-phone"], list.EnumerateArray().Select(s => s.GetProperty("device_id").GetString()));
    }

    [Fact]
    public async Task Refresh_tokens_carry_their_own_audience_and_ones_minted_before_it_still_refresh()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());

        Assert.Equal("qrmahalla-refresh", Api.Payload(login.Refresh).GetProperty("aud").GetString());
        Assert.Equal("qrmahalla-api", Api.Payload(login.Access).GetProperty("aud").GetString());
        await Api.Error(await api.GetAsync("/api/users/me/", login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");

        var beforeTheUpgrade = Forge.Sign(login.Refresh, Forge.Es256(Forge.ServiceKey()), "refresh+jwt", claims => claims["aud"] = "qrmahalla-api");
        Assert.Equal(HttpStatusCode.OK, (await api.RefreshAsync(beforeTheUpgrade)).StatusCode);
    }
}
