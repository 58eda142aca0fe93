using System.Diagnostics.Metrics;
using System.Net;
using System.Text;

namespace QrMahalla.Gateway.Tests;

/// <summary>A gateway whose web app lives at https://app.example.uz.</summary>
public sealed class WebAppOriginFactory() : GatewayFactory(TestSettings.NewTempFolder("origins"), new()
{
    ["Gateway:CorsOrigins:0"] = "https://app.example.uz",
});

/// <summary>Another site's page cannot make its visitors' browsers send codes (or change anything) here.</summary>
public sealed class OriginTests(WebAppOriginFactory factory) : IClassFixture<WebAppOriginFactory>
{
    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("https://app.example.uz.evil.example")]
    public async Task A_post_from_another_sites_page_gets_403_and_sends_no_sms(string origin)
    {
        var phone = TestSettings.NewPhone();
        using var refusals = new RefusalCounter();

        var answer = await PostAsync(phone, origin, "application/json");

        await Api.Error(answer, HttpStatusCode.Forbidden, "origin_not_allowed");
        Assert.Equal(0, factory.Outbox.CountFor(phone));
        Assert.Equal(1, refusals.Count);
    }

    [Theory]
    [InlineData("https://app.example.uz")]
    [InlineData("http://localhost")]
    [InlineData(null)]
    public async Task The_web_app_the_gateways_own_pages_and_native_apps_are_let_through(string? origin)
    {
        var phone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(phone, origin, "application/json")).StatusCode);
        Assert.Equal(1, factory.Outbox.CountFor(phone));
    }

    [Fact]
    public async Task Reading_needs_no_origin_check()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/jwks.json");
        request.Headers.Add("Origin", "https://evil.example");

        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task A_text_plain_body_gets_415_and_sends_no_sms_while_a_body_with_no_type_is_read_as_json()
    {
        var phone = TestSettings.NewPhone();

        await Api.Error(await PostAsync(phone, null, "text/plain"), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        Assert.Equal(0, factory.Outbox.CountFor(phone));

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(phone, null, null)).StatusCode);
        Assert.Equal(1, factory.Outbox.CountFor(phone));
    }

    private Task<HttpResponseMessage> PostAsync(string phone, string? origin, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"phone\":\"{phone}\"}}"));
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/auth/") { Content = content };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return factory.CreateClient().SendAsync(request);
    }

    /// <summary>Counts the gateway's origin refusals while it lives.</summary>
    private sealed class RefusalCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private int count;

        public RefusalCounter()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "qrm.http.origin_refusals")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref count, (int)value));
            listener.Start();
        }

        public int Count => Volatile.Read(ref count);

        public void Dispose() => listener.Dispose();
    }
}
