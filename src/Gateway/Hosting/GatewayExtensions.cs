using Microsoft.AspNetCore.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Gateway.Hosting;

/// <summary>The gateway's wiring, in the order it runs; each concern lives in its own file beside this one.</summary>
public static class GatewayExtensions
{
    public static WebApplicationBuilder AddQrMahallaGateway(this WebApplicationBuilder builder)
    {
        var gateway = EarlyOptions.Bind<HttpGatewayOptions>(builder.Services, builder.Configuration, HttpGatewayOptions.Section);
        builder.ConnectToCluster(gateway);
        builder.AddTokenAuthentication();
        builder.AddHttpEdge(gateway);
        builder.AddQrMahallaTelemetry(gateway.CoHostSilo ? "qrmahalla" : "qrmahalla-gateway", tracing => tracing.AddAspNetCoreInstrumentation())
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation()
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        var development = builder.Environment.IsDevelopment();
        EarlyOptions.Bind<ClusterDashboardOptions>(builder.Services, builder.Configuration, ClusterDashboardOptions.Section);
        builder.Services.AddOptions<ClusterDashboardOptions>()
            .Validate(d => !d.Enabled || development || (d.Username is { Length: > 0 } && d.Password is { Length: >= 12 }),
                "Dashboard:Username and Dashboard:Password (12 characters or more) are required for the dashboard outside Development.")
            .ValidateOnStart();
        builder.Services.AddSingleton<QrMahalla.Gateway.Apis.ClusterReached>();
        builder.Services.AddSingleton<QrMahalla.Gateway.Apis.ShutdownState>();
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    /// <summary>A co-hosted silo's start-up checks, run before the host starts so a failure is one sentence.</summary>
    public static async Task RunStartupChecksAsync(this WebApplication app)
    {
        // Options first: a bad setting stops the process here with one sentence, before the host would log it.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        if (app.Services.GetService<SiloStartupCheck>() is { } check)
        {
            await check.StartAsync(CancellationToken.None);
        }
    }

    public static WebApplication UseQrMahallaGateway(this WebApplication app)
    {
        app.UseForwardedHeadersOfKnownProxies();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = FaultMapping.HandleFaultAsync,

            // The handler logs each fault once, at the level it deserves; no second "unhandled" error with a stack.
            SuppressDiagnosticsCallback = _ => true,
        });
        app.UseStatusCodePages(context => FaultMapping.WriteStatusAsync(context.HttpContext));
        app.UseDjangoTrailingSlashes();
        app.UseOriginCheck();
        app.UseRouting();
        app.UseCors(HttpEdge.CorsPolicy);
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
