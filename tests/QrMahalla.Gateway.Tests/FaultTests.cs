using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using QrMahalla.Gateway.Apis;

namespace QrMahalla.Gateway.Tests;

/// <summary>A gateway whose SMS sink cannot write: the provider fails on every send.</summary>
public sealed class BrokenSmsFactory() : GatewayFactory(TestSettings.NewTempFolder("broken-sms"), new()
{
    // A path below a regular file can never be created, so the File sink fails like a provider that is down.
    ["Sms:FilePath"] = Path.Combine(CreateBlockingFile(), "outbox.jsonl"),
})
{
    private static string CreateBlockingFile()
    {
        var file = Path.Combine(TestSettings.NewTempFolder("blocker"), "not-a-folder");
        File.WriteAllText(file, "");
        return file;
    }
}

public sealed class SmsFailureTests(BrokenSmsFactory factory) : IClassFixture<BrokenSmsFactory>
{
    [Fact]
    public async Task A_failed_sms_gets_502_sms_failed()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);

        var json = await Api.Error(await api.SendCodeAsync(TestSettings.NewPhone()), HttpStatusCode.BadGateway, "sms_failed");

        Assert.Equal("Error sending SMS", json.GetProperty("error").GetString());
    }
}

public sealed class StorageFailureTests : IAsyncLifetime
{
    private readonly GatewayFactory factory = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Storage_that_disappears_gets_503_unavailable_and_ready_reports_it_without_leaving_service()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health/ready")).StatusCode);

        // Replace the database file by a folder: every later open fails, as with a database that went away.
        foreach (var file in Directory.GetFiles(factory.Folder, "grains.db*"))
        {
            File.Delete(file);
        }

        Directory.CreateDirectory(factory.DatabasePath);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var response = await api.SendCodeAsync(TestSettings.NewPhone());
        var body = await response.Content.ReadAsStringAsync();

        await Api.Error(response, HttpStatusCode.ServiceUnavailable, "unavailable");
        Assert.DoesNotContain("Exception", body);
        // A database restart must not take every gateway out of the load balancer: ready reports storage, it is no gate.
        var ready = await api.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("unreachable", (await Api.Json(ready)).GetProperty("storage").GetString());
    }
}

/// <summary>
/// A gateway whose shutdown the test begins: the test host is not a process to SIGTERM, and stopping it for real would
/// race its own teardown against the requests (the silo's probe test SIGTERMs a real process).
/// </summary>
public sealed class StoppingGatewayFactory() : GatewayFactory(TestSettings.NewTempFolder("stopping"), [])
{
    public ShutdownBegins Shutdown { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<ShutdownState>(Shutdown));
    }

    public sealed class ShutdownBegins() : ShutdownState(null!)
    {
        public bool Now { get; set; }

        public override bool Begun => Now;
    }
}

public sealed class ShutdownReadinessTests(StoppingGatewayFactory factory) : IClassFixture<StoppingGatewayFactory>
{
    [Fact]
    public async Task Ready_turns_503_stopping_once_a_graceful_shutdown_begins_while_live_stays_200()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health/ready")).StatusCode);

        factory.Shutdown.Now = true;

        await Api.Error(await api.GetAsync("/health/ready"), HttpStatusCode.ServiceUnavailable, "stopping");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health/live")).StatusCode);
    }
}
