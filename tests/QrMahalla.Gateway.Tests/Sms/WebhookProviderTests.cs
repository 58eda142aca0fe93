using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using QrMahalla.Grains.Sms;

namespace QrMahalla.Gateway.Tests.Sms;

/// <summary>A provider bridge on loopback that accepts only correctly signed, fresh webhook calls.</summary>
public sealed class FakeWebhook : IAsyncDisposable
{
    public const string Secret = "a-shared-webhook-secret-of-32-chars";

    private readonly WebApplication receiver;
    private int refused;

    private FakeWebhook(WebApplication receiver) => this.receiver = receiver;

    public ConcurrentQueue<(string Phone, string Text)> Received { get; } = new();

    /// <summary>Calls refused for a wrong or stale signature.</summary>
    public int Refused => Volatile.Read(ref refused);

    public string Url => receiver.Urls.First() + "/sms";

    public static async Task<FakeWebhook> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var fake = new FakeWebhook(builder.Build());
        fake.receiver.MapPost("/sms", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var body = buffer.ToArray();
            var timestamp = context.Request.Headers[WebhookSmsSender.TimestampHeader].ToString();
            var expected = $"sha256={WebhookSmsSender.Sign(Secret, timestamp, body)}";
            var fresh = long.TryParse(timestamp, out var seconds) && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) < 300;
            if (!fresh || context.Request.Headers[WebhookSmsSender.SignatureHeader] != expected)
            {
                Interlocked.Increment(ref fake.refused);
                return Results.StatusCode(403);
            }

            var json = JsonDocument.Parse(body).RootElement;
            fake.Received.Enqueue((json.GetProperty("phone").GetString()!, json.GetProperty("text").GetString()!));
            return Results.Ok();
        });
        await fake.receiver.StartAsync();
        return fake;
    }

    public async ValueTask DisposeAsync() => await receiver.DisposeAsync();
}

/// <summary>The gateway, co-hosted silo and webhook sender against the fake bridge.</summary>
public sealed class WebhookProviderTests : IAsyncLifetime
{
    private FakeWebhook webhook = null!;
    private GatewayFactory factory = null!;

    public async Task InitializeAsync()
    {
        webhook = await FakeWebhook.StartAsync();
        factory = new GatewayFactory(TestSettings.NewTempFolder("webhook"), new()
        {
            ["Sms:Provider"] = "Webhook",
            ["Sms:Webhook:Url"] = webhook.Url,
            ["Sms:Webhook:Secret"] = FakeWebhook.Secret,
        });
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        await webhook.DisposeAsync();
    }

    [Fact]
    public async Task A_full_login_goes_through_a_signed_webhook()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        var phone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var (sentTo, text) = Assert.Single(webhook.Received);
        var login = await api.VerifyAsync(phone, text[^6..]);

        Assert.Equal(phone, sentTo);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(0, webhook.Refused);
    }

    [Fact]
    public async Task A_receiver_that_refuses_the_signature_gives_502()
    {
        await using var wrongSecret = new GatewayFactory(TestSettings.NewTempFolder("webhook-wrong"), new()
        {
            ["Sms:Provider"] = "Webhook",
            ["Sms:Webhook:Url"] = webhook.Url,
            ["Sms:Webhook:Secret"] = "another-secret-nobody-shared-here",
        });

        var response = await new Api(wrongSecret.CreateClient(), wrongSecret.Outbox).SendCodeAsync(TestSettings.NewPhone());

        await Api.Error(response, HttpStatusCode.BadGateway, "sms_failed");
        Assert.True(webhook.Refused >= 1);
        Assert.Empty(webhook.Received);
    }
}
