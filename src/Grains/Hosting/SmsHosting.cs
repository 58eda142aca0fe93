using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Grains.Hosting;

/// <summary>The SMS sender the configuration picks, refused where it does not belong, and the providers' HTTP clients.</summary>
public static class SmsHosting
{
    public static IServiceCollection AddQrMahallaSms(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddSingleton<ISmsSender>(sp => CreateSmsSender(sp, environment));
        services.AddSingleton<EskizSmsSender>();
        services.AddSingleton<WebhookSmsSender>();
        services.AddHttpClient(EskizSmsSender.ClientName).AddSmsResilience();
        services.AddHttpClient(WebhookSmsSender.ClientName).AddSmsResilience();
        return services;
    }

    private static ISmsSender CreateSmsSender(IServiceProvider services, IHostEnvironment environment)
    {
        var options = services.GetRequiredService<IOptions<SmsOptions>>().Value;
        var provider = options.Provider
            ?? (environment.IsDevelopment()
                ? SmsProvider.File
                : throw new InvalidOperationException("Sms:Provider is not configured; outside Development an SMS provider must be chosen."));

        if (!environment.IsDevelopment() && provider is SmsProvider.File or SmsProvider.Console)
        {
            throw new InvalidOperationException($"Sms:Provider '{provider}' is a development sink and is refused outside Development.");
        }

        ISmsSender sender = provider switch
        {
            SmsProvider.Console => new ConsoleSmsSender(),
            SmsProvider.Eskiz => Require(options.Eskiz is { Email.Length: > 0, Password.Length: > 0 },
                "Sms:Eskiz:Email and Sms:Eskiz:Password are required for the Eskiz provider.", services.GetRequiredService<EskizSmsSender>),
            SmsProvider.Webhook => Require(options.Webhook is { Url: not null, Secret.Length: >= 16 },
                "Sms:Webhook:Url and Sms:Webhook:Secret (16 characters or more) are required for the Webhook provider.", services.GetRequiredService<WebhookSmsSender>),
            _ => ActivatorUtilities.CreateInstance<FileSmsSender>(services),
        };
        return new InstrumentedSmsSender(sender, provider.ToString().ToLowerInvariant(), services.GetRequiredService<QrMahallaMetrics>());
    }

    private static ISmsSender Require(bool configured, string problem, Func<ISmsSender> create) =>
        configured ? create() : throw new InvalidOperationException(problem);

    /// <summary>
    /// Bounded retries with jitter and a circuit breaker, all inside <c>Sms:Timeout</c>, so a failing provider gives
    /// the client a quick 502 and a retried send still counts once toward the phone's hourly cap.
    /// </summary>
    private static IHttpClientBuilder AddSmsResilience(this IHttpClientBuilder client)
    {
        client.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions options, IServiceProvider services) =>
        {
            var total = services.GetRequiredService<IOptions<SmsOptions>>().Value.Timeout;
            options.TotalRequestTimeout.Timeout = total;

            // One attempt may use the whole budget: a slow provider may still deliver, and a retry would send twice.
            options.AttemptTimeout.Timeout = total;
            options.Retry.MaxRetryAttempts = 2;
            options.Retry.UseJitter = true;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
            options.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException } => true,
                { Result.StatusCode: System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout } => true,
                { Result: { } response } => (int)response.StatusCode >= 500,
                _ => false,
            });
            options.CircuitBreaker.SamplingDuration = options.AttemptTimeout.Timeout * 2 + TimeSpan.FromSeconds(30);
            options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(15);
        });
        return client;
    }
}
