namespace QrMahalla.Gateway.Tests;

/// <summary>A gateway that forgives a retried refresh within 5 s (Jwt:RefreshReuseGrace).</summary>
public sealed class RefreshGraceFactory() : GatewayFactory(TestSettings.NewTempFolder("grace"), new() { ["Jwt:RefreshReuseGrace"] = "00:00:05" });

public sealed class RefreshGraceTests(RefreshGraceFactory factory) : IClassFixture<RefreshGraceFactory>
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    private static string Jti(string jwt) => Api.Payload(jwt).GetProperty("jti").GetString()!;

    [Fact]
    public async Task A_retry_inside_the_grace_gets_the_current_pair_and_keeps_the_session()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var rotated = await Api.Json(await api.RefreshAsync(login.Refresh));
        factory.Time.Advance(TimeSpan.FromSeconds(3));

        var retried = await api.RefreshAsync(login.Refresh);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var again = await Api.Json(retried);
        Assert.Equal(Jti(rotated.GetProperty("refresh").GetString()!), Jti(again.GetProperty("refresh").GetString()!));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", again.GetProperty("access").GetString()!)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.RefreshAsync(again.GetProperty("refresh").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task A_replay_after_the_grace_still_revokes_the_session()
    {
        var login = await api.LoginAsync(TestSettings.NewPhone());
        var rotated = await Api.Json(await api.RefreshAsync(login.Refresh));
        factory.Time.Advance(TimeSpan.FromSeconds(6));

        await Api.Error(await api.RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "invalid_token");

        await Api.Error(await api.RefreshAsync(rotated.GetProperty("refresh").GetString()!), HttpStatusCode.Unauthorized, "invalid_token");
    }
}
