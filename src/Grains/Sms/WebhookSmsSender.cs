using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Sms;

/// <summary>
/// POSTs <c>{"phone","text"}</c> to <c>Sms:Webhook:Url</c>, signed so the receiver can tell it is us and that it is
/// fresh: <c>X-QrMahalla-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))</c> with the unix
/// timestamp in <c>X-QrMahalla-Timestamp</c>.
/// </summary>
public sealed class WebhookSmsSender(IHttpClientFactory clients, IOptions<SmsOptions> options, RuleClock clock) : ISmsSender
{
    public const string ClientName = "sms-webhook";
    public const string SignatureHeader = "X-QrMahalla-Signature";
    public const string TimestampHeader = "X-QrMahalla-Timestamp";

    public async Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var webhook = options.Value.Webhook;
        var body = JsonSerializer.SerializeToUtf8Bytes(new { phone = message.Phone, text = message.Text });
        var timestamp = clock.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, $"sha256={Sign(webhook.Secret!, timestamp, body)}");

        using var response = await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SmsProviderException($"The SMS webhook answered {(int)response.StatusCode}");
        }
    }

    public static string Sign(string secret, string timestamp, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray()));
}
