namespace QrMahalla.Gateway.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restarted_process_keeps_users_bindings_and_sessions()
    {
        var folder = TestSettings.NewTempFolder("restart");
        var phone = TestSettings.NewPhone();
        Login login;
        await using (var first = new GatewayFactory(folder, new()))
        {
            login = await new Api(first.CreateClient(), first.Outbox).LoginAsync(phone);
        }

        await using var second = new GatewayFactory(folder, new());
        var api = new Api(second.CreateClient(), second.Outbox);

        var me = await Api.Json(await api.GetAsync("/api/users/me/", login.Access));
        var refreshed = await api.RefreshAsync(login.Refresh);
        second.Time.Advance(TimeSpan.FromSeconds(61));
        var again = await api.LoginAsync(phone, "second-device");

        Assert.Equal(login.UserId, me.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(login.UserId, again.UserId);
    }

    [Fact]
    public async Task Wrong_guesses_at_a_code_survive_a_process_restart()
    {
        var folder = TestSettings.NewTempFolder("restart-attempts");
        var phone = TestSettings.NewPhone();
        string wrong;
        await using (var first = new GatewayFactory(folder, new()))
        {
            var api = new Api(first.CreateClient(), first.Outbox);
            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
            var code = first.Outbox.LatestCodeFor(phone);
            wrong = code == "000000" ? "111111" : "000000";
            await Api.Error(await api.VerifyAsync(phone, wrong), HttpStatusCode.BadRequest, "invalid_code");
            var second = await Api.Error(await api.VerifyAsync(phone, wrong), HttpStatusCode.BadRequest, "invalid_code");
            Assert.Equal(3, second.GetProperty("attempts_left").GetInt32());
        }

        await using var restarted = new GatewayFactory(folder, new());
        var after = new Api(restarted.CreateClient(), restarted.Outbox);

        var third = await Api.Error(await after.VerifyAsync(phone, wrong), HttpStatusCode.BadRequest, "invalid_code");
        Assert.Equal(2, third.GetProperty("attempts_left").GetInt32());
        await Api.Error(await after.VerifyAsync(phone, wrong), HttpStatusCode.BadRequest, "invalid_code");
        await Api.Error(await after.VerifyAsync(phone, wrong), HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    [Fact]
    public async Task Cooldown_and_lockout_survive_a_process_restart()
    {
        var folder = TestSettings.NewTempFolder("restart-limits");
        var cooling = TestSettings.NewPhone();
        var locked = TestSettings.NewPhone();
        DateTimeOffset stoppedAt;
        await using (var first = new GatewayFactory(folder, new()))
        {
            var api = new Api(first.CreateClient(), first.Outbox);
            for (var round = 0; round < 3; round++)
            {
                first.Time.Advance(TimeSpan.FromSeconds(61));
                Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(locked)).StatusCode);
                var code = first.Outbox.LatestCodeFor(locked);
                for (var i = 0; i < 5; i++)
                {
                    await api.VerifyAsync(locked, code == "000000" ? "111111" : "000000");
                }
            }

            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(cooling)).StatusCode);
            stoppedAt = first.Time.GetUtcNow();
        }

        // One clock across the restart: the new process starts where the old one stopped, not at its own "now".
        await using var second = new GatewayFactory(folder, new());
        second.Time.SetUtcNow(stoppedAt);
        var after = new Api(second.CreateClient(), second.Outbox);

        await Api.Error(await after.SendCodeAsync(cooling), HttpStatusCode.TooManyRequests, "rate_limited");
        second.Time.Advance(TimeSpan.FromMinutes(5));
        var lockedSend = await Api.Error(await after.SendCodeAsync(locked), HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.InRange(lockedSend.GetProperty("retry_after").GetInt32(), 2700, 3600);
        Assert.Equal(HttpStatusCode.OK, (await after.SendCodeAsync(cooling)).StatusCode);
    }
}
