using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Silo;

/// <summary>
/// A stand-alone silo has no HTTP server; this answers an orchestrator's three probes on a port of its own
/// (<c>Silo:HealthPort</c>, off by default), never a public one. <c>/health/live</c>: the process answers (no grain, no
/// database). <c>/health/startup</c>: the silo has joined the cluster. <c>/health/ready</c>: it is active and no graceful
/// shutdown has begun; storage is reported in the body, not a gate. Registered before the silo, so it starts first and
/// stops last: it keeps saying "stopping" while the silo hands its grains over.
/// </summary>
public sealed class SiloHealthListener(
    int port, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<SiloHealthListener> logger) : BackgroundService
{
    public const string PortSetting = "Silo:HealthPort";

    private volatile bool joined;

    public static void AddTo(HostApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<int?>(PortSetting) is { } port)
        {
            builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<SiloHealthListener>(sp, port));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://+:{port}/health/");
        listener.Start();
        logger.LogInformation("Health probes on port {Port}: /health/live, /health/startup, /health/ready.", port);
        await using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            _ = AnswerAsync(context);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var (status, body) = context.Request.Url?.AbsolutePath.TrimEnd('/') switch
        {
            "/health/live" => (200, """{"status":"live"}"""),
            "/health/startup" => Joined() ? (200, """{"status":"started"}""") : (503, """{"status":"starting"}"""),
            "/health/ready" => await ReadyAsync(),
            _ => (404, """{"status":"unknown probe"}"""),
        };
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        try
        {
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The prober hung up; it will ask again.
        }
    }

    private async Task<(int, string)> ReadyAsync()
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return (503, """{"status":"stopping"}""");
        }

        if (!Joined() || services.GetRequiredService<ISiloStatusOracle>().CurrentStatus != SiloStatus.Active)
        {
            return (503, """{"status":"not active"}""");
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string? problem;
        try
        {
            problem = await services.GetRequiredService<StorageProbe>().CheckAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            problem = "no answer within 5 s";
        }

        return (200, problem is null ? """{"status":"ready","storage":"reachable"}""" : """{"status":"ready","storage":"unreachable"}""");
    }

    private bool Joined() => joined |= services.GetRequiredService<ISiloStatusOracle>().CurrentStatus == SiloStatus.Active;
}
