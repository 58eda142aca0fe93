using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace QrMahalla.Grains.Telemetry;

public static class TelemetryExtensions
{
    /// <summary>Orleans' own meter and activity sources.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";
    public static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Traces are made only when there is somewhere to send them; otherwise no span is ever created.</summary>
    public static bool TracingEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>
    /// Metrics of the service, Orleans and outgoing HTTP (the SMS providers), and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set, traces too, exported over OTLP. Without an exporter no tracer listens, so no grain call or request pays
    /// for a span. <paramref name="tracing"/> adds the host's own trace sources.
    /// </summary>
    public static OpenTelemetryBuilder AddQrMahallaTelemetry(
        this IHostApplicationBuilder builder, string serviceName, Action<TracerProviderBuilder>? tracing = null)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddMeter(QrMahallaMetrics.MeterName, OrleansMeter)
                .AddHttpClientInstrumentation());
        if (TracingEnabled(builder.Configuration))
        {
            telemetry.WithTracing(traces =>
            {
                traces.AddProcessor<PhoneMaskingProcessor>().AddSource(OrleansActivitySources).AddHttpClientInstrumentation();
                tracing?.Invoke(traces);
            });
            telemetry.UseOtlpExporter();
        }

        return telemetry;
    }
}
