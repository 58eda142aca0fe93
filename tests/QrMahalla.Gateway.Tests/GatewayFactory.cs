using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace QrMahalla.Gateway.Tests;

/// <summary>
/// The real gateway in its default co-hosted mode: one process with a silo, a SQLite file and the File SMS sink,
/// driven over HTTP. Each factory gets its own folder and ports; the rule clock is fake.
/// </summary>
public class GatewayFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> overrides;

    public GatewayFactory() : this(TestSettings.NewTempFolder("gateway"), new Dictionary<string, string?>())
    {
    }

    internal GatewayFactory(string folder, Dictionary<string, string?> overrides, string environment = "Development")
    {
        Environment = environment;
        Folder = folder;
        this.overrides = overrides;
        Outbox = new Outbox(Path.Combine(folder, "sms-outbox.jsonl"));
    }

    /// <summary>Listed in <c>Auth:AdminPhones</c>: gets the admin role at its next login.</summary>
    public const string AdminPhone = "+998901112233";

    public string Folder { get; }

    public string Environment { get; }

    public string DatabasePath => Path.Combine(Folder, "grains.db");

    public Outbox Outbox { get; }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var siloPort = TestSettings.FreePort();
        var settings = TestSettings.SecretSettings();
        settings["Otp:MaxFailedVerifications"] = TestSettings.FailedVerificationsOutOfTheWay;
        settings["Storage:ConnectionString"] = $"Data Source={DatabasePath};Default Timeout=30";
        settings["Sms:Provider"] = "File";
        settings["Sms:FilePath"] = Outbox.Path;
        settings["Cluster:SiloPort"] = siloPort.ToString();
        settings["Cluster:PrimarySiloPort"] = siloPort.ToString();
        settings["Cluster:GatewayPort"] = TestSettings.FreePort().ToString();

        // The shared fixture's many tests all come from one address; the per-address limits have tests of their own.
        settings["RateLimiting:SendPerIpPerMinute"] = "0";
        settings["RateLimiting:VerifyPerIpPerMinute"] = "0";
        settings["Auth:AdminPhones:0"] = "+998 90 111 22 33";
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        builder.UseEnvironment(Environment);
        // UseSetting, unlike ConfigureAppConfiguration, is already visible while Program registers its services.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(new RuleClock(Time));
            services.AddSingleton<IStartupFilter, LoopbackPeer>();
        });
    }
}

/// <summary>
/// TestServer has no TCP peer; every request gets the loopback peer it would have over Kestrel on this machine,
/// so forwarded headers and per-address limits see what they see in production.
/// </summary>
internal sealed class LoopbackPeer : IStartupFilter
{
    public const string LocalPortHeader = "X-Test-Local-Port";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress ??= IPAddress.Loopback;

            // Which of the gateway's listeners the request "arrived on" (the main port unless a test says otherwise).
            context.Connection.LocalPort = int.TryParse(context.Request.Headers[LocalPortHeader], out var port) ? port : 5080;
            return nextMiddleware(context);
        });
        next(app);
    };
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFactory>
{
    public const string Name = "co-hosted gateway";
}
