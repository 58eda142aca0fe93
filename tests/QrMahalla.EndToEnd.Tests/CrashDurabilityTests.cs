namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// The embedded default (one process, SQLite, group commit) SIGKILLed right after it answered: whatever it
/// acknowledged is there when it comes back.
/// </summary>
public sealed class CrashDurabilityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_embedded_process_killed_right_after_answering_keeps_everything_it_acknowledged()
    {
        var folder = TestSettings.NewTempFolder("sigkill-embedded");
        var outbox = new Outbox(Path.Combine(folder, "sms-outbox.jsonl"));
        var port = TestSettings.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Cluster__SiloPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__GatewayPort"] = TestSettings.FreePort().ToString(),
            ["Sms__Provider"] = "File",
            ["Sms__FilePath"] = outbox.Path,
            ["RateLimiting__SendPerIpPerMinute"] = "0",
            ["RateLimiting__VerifyPerIpPerMinute"] = "0",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        environment["Cluster__PrimarySiloPort"] = environment["Cluster__SiloPort"];
        foreach (var (key, value) in TestSettings.SecretSettings())
        {
            environment[key.Replace(":", "__")] = value!;
        }

        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(40) };
        var first = ServiceProcess.Start("Gateway", "embedded-1", environment, folder);
        await using var firstProcess = first;
        await ProcessCluster.WaitUntilReadyAsync(http, StartDeadline);

        // Logins and sends at once, so their writes share batches; the process dies the moment the last one is answered.
        var loginPhones = Enumerable.Range(0, 24).Select(_ => TestSettings.NewPhone()).ToList();
        var sendPhones = Enumerable.Range(0, 24).Select(_ => TestSettings.NewPhone()).ToList();
        await Task.WhenAll(loginPhones.Select(p => ClientFlow.SendCodeAsync(http, p)));
        var logins = loginPhones.Select(async phone =>
        {
            var verified = await ClientFlow.VerifyAsync(http, phone, outbox.LatestCodeFor(phone));
            Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
            return JsonDocument.Parse(await verified.Content.ReadAsStringAsync()).RootElement.GetProperty("refresh").GetString()!;
        }).ToList();
        var sends = sendPhones.Select(async phone => (await ClientFlow.SendCodeAsync(http, phone)).StatusCode).ToList();
        var refreshTokens = await Task.WhenAll(logins);
        var sendStatuses = await Task.WhenAll(sends);
        first.Kill();
        Assert.All(sendStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        await using var second = ServiceProcess.Start("Gateway", "embedded-2", environment, folder);
        await ProcessCluster.WaitUntilReadyAsync(http, StartDeadline);

        // Each session acknowledged before the kill is there: its refresh token rotates.
        foreach (var refresh in refreshTokens)
        {
            var rotated = await http.PostAsJsonAsync("/api/users/token/refresh/", new { refresh });
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        // Each acknowledged send is there: the phone is still inside its resend cooldown.
        foreach (var phone in sendPhones)
        {
            var again = await ClientFlow.SendCodeAsync(http, phone);
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }

        output.WriteLine($"{refreshTokens.Length} sessions and {sendPhones.Count} code sends acknowledged before SIGKILL; all found after the restart.");
    }
}
