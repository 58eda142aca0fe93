using System.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Gateway.Tests;

/// <summary>
/// A gateway with tracing on (an OTLP endpoint is set; nothing listens there) whose every finished span is also kept
/// in memory, after the masking processor, as an exporter would receive it.
/// </summary>
public sealed class RecordingSpansFactory() : GatewayFactory(TestSettings.NewTempFolder("traces"), new()
{
    ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
})
{
    private SpanList Spans { get; } = new();

    public Activity[] Finished() => Spans.Snapshot();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.ConfigureOpenTelemetryTracerProvider(traces => traces.AddInMemoryExporter(Spans)));
    }
}

/// <summary>The exporter adds from the thread that ends a span while the test reads.</summary>
internal sealed class SpanList : System.Collections.ObjectModel.Collection<Activity>
{
    public Activity[] Snapshot()
    {
        lock (Items)
        {
            return [.. Items];
        }
    }

    protected override void InsertItem(int index, Activity item)
    {
        lock (Items)
        {
            base.InsertItem(index, item);
        }
    }
}

public sealed class TraceSecrecyTests(RecordingSpansFactory factory) : IClassFixture<RecordingSpansFactory>
{
    [Fact]
    public async Task No_span_of_a_whole_login_and_an_admin_lookup_carries_the_full_number()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        var phone = TestSettings.NewPhone();
        var admin = await api.LoginAsync(GatewayFactory.AdminPhone);

        await api.LoginAsync(phone);
        var lookup = await api.GetAsync($"/api/admin/phones/{phone}/", admin.Access);

        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        // The lookup's own server span ends just after its answer is written.
        var spans = await Eventually.ReturnsAsync(() => Task.FromResult(factory.Finished()),
            all => all.Any(s => Texts(s).Any(t => t.Contains($"/api/admin/phones/{PhoneMask.Mask(phone)}/", StringComparison.Ordinal))),
            "the admin lookup's span, its path masked");
        Assert.Contains(spans, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)
            && Texts(s).Any(t => t.Contains($"phone/{PhoneMask.Mask(phone)}", StringComparison.Ordinal)));
        var leaks = spans.SelectMany(s => Texts(s).Where(t => t.Contains(phone[1..], StringComparison.Ordinal)).Select(t => $"{s.DisplayName}: {t}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Take(5)));
    }

    /// <summary>Everything of a span an exporter sends: its name, status, tags, events and links.</summary>
    private static IEnumerable<string> Texts(Activity span) =>
        new[] { span.DisplayName, span.OperationName, span.StatusDescription ?? "" }
            .Concat(span.TagObjects.Select(t => $"{t.Key}={t.Value}"))
            .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}.{t.Key}={t.Value}")))
            .Concat(span.Baggage.Select(b => $"{b.Key}={b.Value}"));
}
