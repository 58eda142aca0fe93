namespace QrMahalla.EndToEnd.Tests;

/// <summary>The probes an orchestrator asks a stand-alone silo, on its own health port.</summary>
public sealed class ProbeTests
{
    [Fact]
    public async Task A_silo_answers_live_at_once_startup_once_joined_and_ready_turns_503_stopping_when_sigterm_begins_its_shutdown()
    {
        var healthPort = TestSettings.FreePort();
        await using var cluster = await ProcessCluster.CreateAsync("probes");
        cluster.SiloSettings["Silo__HealthPort"] = healthPort.ToString();
        using var probe = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}"), Timeout = TimeSpan.FromSeconds(10) };
        var silo = cluster.StartSilo();

        var started = await Wait.UntilAsync(async () => await TryGetAsync(probe, "/health/startup") is { StatusCode: HttpStatusCode.OK } r ? r : null,
            TimeSpan.FromSeconds(90), "the silo's startup probe to pass");
        var ready = await probe.GetAsync("/health/ready");
        var live = await probe.GetAsync("/health/live");

        Assert.Equal("started", (await Json(started)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("reachable", (await Json(ready)).GetProperty("storage").GetString());

        silo.Terminate();
        var stopping = await Wait.UntilAsync(async () => await TryGetAsync(probe, "/health/ready") is { StatusCode: not HttpStatusCode.OK } r ? r : null,
            TimeSpan.FromSeconds(30), "ready to leave 200 after SIGTERM");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, stopping.StatusCode);
        Assert.Equal("stopping", (await Json(stopping)).GetProperty("status").GetString());
        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo kept running after SIGTERM");
    }

    private static async Task<HttpResponseMessage?> TryGetAsync(HttpClient probe, string path)
    {
        try
        {
            return await probe.GetAsync(path);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
