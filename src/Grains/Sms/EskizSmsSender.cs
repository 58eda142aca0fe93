using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Sms;

/// <summary>
/// Eskiz (notify.eskiz.uz): log in with e-mail and password for a bearer token, keep it, renew it a day before it
/// expires or when a send answers 401, and send with the sender id. Transient failures are retried by the HTTP
/// client's resilience pipeline, inside this one send, so the phone's hourly cap counts the message once.
/// </summary>
public sealed partial class EskizSmsSender(
    IHttpClientFactory clients, IOptions<SmsOptions> options, RuleClock clock, ILogger<EskizSmsSender> logger) : ISmsSender
{
    public const string ClientName = "sms-eskiz";
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(1);

    private readonly SemaphoreSlim tokenLock = new(1, 1);
    private string? token;
    private DateTimeOffset tokenExpiresAt;

    private EskizOptions Eskiz => options.Value.Eskiz;

    public async Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var bearer = await TokenAsync(renew: false, cancellationToken);
        using var first = await PostMessageAsync(bearer, message, cancellationToken);
        if (first.StatusCode != HttpStatusCode.Unauthorized)
        {
            EnsureSent(first);
            return;
        }

        LogTokenRejected(logger);
        bearer = await TokenAsync(renew: true, cancellationToken, rejected: bearer);
        using var second = await PostMessageAsync(bearer, message, cancellationToken);
        EnsureSent(second);
    }

    private async Task<HttpResponseMessage> PostMessageAsync(string bearer, SmsMessage message, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Eskiz.BaseUrl, "api/message/sms/send"))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["mobile_phone"] = message.Phone.TrimStart('+'),
                ["message"] = message.Text,
                ["from"] = Eskiz.From,
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
    }

    private static void EnsureSent(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new SmsProviderException($"Eskiz answered {(int)response.StatusCode} to a send");
        }
    }

    /// <summary>The cached token, or a new one; <paramref name="rejected"/> is renewed only once for concurrent callers.</summary>
    private async Task<string> TokenAsync(bool renew, CancellationToken cancellationToken, string? rejected = null)
    {
        await tokenLock.WaitAsync(cancellationToken);
        try
        {
            var stale = token is null || clock.UtcNow >= tokenExpiresAt - RenewBefore || (renew && token == rejected);
            if (stale)
            {
                (token, tokenExpiresAt) = await LogInAsync(cancellationToken);
            }

            return token!;
        }
        finally
        {
            tokenLock.Release();
        }
    }

    private async Task<(string Token, DateTimeOffset ExpiresAt)> LogInAsync(CancellationToken cancellationToken)
    {
        using var response = await clients.CreateClient(ClientName).PostAsync(
            new Uri(Eskiz.BaseUrl, "api/auth/login"),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = Eskiz.Email ?? "", ["password"] = Eskiz.Password ?? "" }),
            cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SmsProviderException($"Eskiz refused the login ({(int)response.StatusCode}); check Sms:Eskiz:Email and Sms:Eskiz:Password");
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
        var value = json.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("token", out var t) ? t.GetString() : null;
        if (string.IsNullOrEmpty(value))
        {
            throw new SmsProviderException("Eskiz answered the login without a token");
        }

        LogLoggedIn(logger);
        return (value, ExpiryOf(value) ?? clock.UtcNow + Eskiz.TokenLifetime);
    }

    /// <summary>Eskiz tokens are JWTs; their own exp is the best expiry there is.</summary>
    private static DateTimeOffset? ExpiryOf(string value)
    {
        try
        {
            var jwt = new JsonWebToken(value);
            return jwt.ValidTo == DateTime.MinValue ? null : new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Logged in to Eskiz for a new token")]
    private static partial void LogLoggedIn(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Eskiz rejected the token (401); logging in again")]
    private static partial void LogTokenRejected(ILogger logger);
}
