using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Gateway.Tests;

/// <summary>A gateway whose every log line, at every level and from every category, is kept for inspection.</summary>
public sealed class RecordingLogsFactory : GatewayFactory
{
    public RecordingLogsFactory() : this(Everything())
    {
    }

    internal RecordingLogsFactory(Dictionary<string, string?> settings) : base(TestSettings.NewTempFolder("logs"), settings)
    {
    }

    /// <summary>Every category at Trace, overriding the quieter levels of appsettings.json, and <paramref name="extra"/>.</summary>
    public static Dictionary<string, string?> Everything(Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Orleans"] = "Trace",
            ["Logging:LogLevel:Polly"] = "Trace",
            ["Logging:LogLevel:System.Net.Http"] = "Trace",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(new RecordingProvider(Lines));
        });
    }

    /// <summary>Records what a provider that includes scopes (the console's <c>IncludeScopes</c>) would write: scopes too.</summary>
    private sealed class RecordingProvider(ConcurrentQueue<string> lines) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, lines, () => scopes);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose()
        {
        }
    }

    private sealed class RecordingLogger(string category, ConcurrentQueue<string> lines, Func<IExternalScopeProvider> scopes) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => scopes().Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopeText = new List<string>();
            scopes().ForEachScope((scope, texts) => texts.Add($"[{scope} {Values(scope)}]"), scopeText);
            lines.Enqueue($"{category} {logLevel} {formatter(state, exception)} {Values(state)} {exception} {string.Join(" ", scopeText)}");
        }

        private static string Values(object? state) =>
            state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
    }
}

public sealed class LogSecrecyTests(RecordingLogsFactory factory) : IClassFixture<RecordingLogsFactory>
{
    [Fact]
    public async Task No_log_line_of_a_login_through_the_signed_webhook_holds_the_code_or_the_number()
    {
        await using var webhook = await Sms.FakeWebhook.StartAsync();
        await using var recorded = new RecordingLogsFactory(RecordingLogsFactory.Everything(new()
        {
            ["Sms:Provider"] = "Webhook",
            ["Sms:Webhook:Url"] = webhook.Url,
            ["Sms:Webhook:Secret"] = Sms.FakeWebhook.Secret,
        }));
        var api = new Api(recorded.CreateClient(), recorded.Outbox);
        var phone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var code = webhook.Received.Single(r => r.Phone == phone).Text[^6..];
        var login = await api.VerifyAsync(phone, code);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(recorded.Lines, line => line.Contains("/sms", StringComparison.Ordinal));
        Assert.DoesNotContain(recorded.Lines, line => line.Contains(code, StringComparison.Ordinal));
        var withNumber = recorded.Lines.Where(line => line.Contains(phone[1..], StringComparison.Ordinal)).ToList();
        Assert.True(withNumber.Count == 0, string.Join("\n", withNumber.Take(5)));
    }

    [Fact]
    public async Task No_log_line_of_logins_through_eskiz_including_a_provider_failure_holds_a_code_or_a_number()
    {
        await using var eskiz = await Sms.FakeEskiz.StartAsync();
        await using var recorded = new RecordingLogsFactory(RecordingLogsFactory.Everything(new()
        {
            ["Sms:Provider"] = "Eskiz",
            ["Sms:Eskiz:BaseUrl"] = eskiz.BaseUrl.ToString(),
            ["Sms:Eskiz:Email"] = Sms.FakeEskiz.Email,
            ["Sms:Eskiz:Password"] = Sms.FakeEskiz.Password,
            ["Sms:Timeout"] = "00:00:03",
        }));
        var api = new Api(recorded.CreateClient(), recorded.Outbox);
        var phone = TestSettings.NewPhone();
        var unlucky = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var code = eskiz.Delivered.Last(d => d.Phone == phone.TrimStart('+')).Message[^6..];
        await api.VerifyAsync(phone, code == "000000" ? "111111" : "000000");
        var login = await api.VerifyAsync(phone, code);
        eskiz.FailNextSendWith(500);
        eskiz.FailNextSendWith(500);
        eskiz.FailNextSendWith(500);
        var failed = await api.SendCodeAsync(unlucky);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        Assert.Contains(recorded.Lines, line => line.Contains("eskiz", StringComparison.OrdinalIgnoreCase) || line.Contains("/api/message/sms/send", StringComparison.Ordinal));
        Assert.DoesNotContain(recorded.Lines, line => line.Contains(code, StringComparison.Ordinal));
        var withNumber = recorded.Lines.Where(line => line.Contains(phone[1..], StringComparison.Ordinal) || line.Contains(unlucky[1..], StringComparison.Ordinal)).ToList();
        Assert.True(withNumber.Count == 0, string.Join("\n", withNumber.Take(5)));
    }

    [Fact]
    public async Task No_log_line_of_a_whole_flow_and_an_admin_lookup_contains_the_code_or_the_number_not_even_in_a_scope()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        var code = factory.Outbox.LatestCodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        await api.VerifyAsync(phone, wrong);
        var login = await api.VerifyAsync(phone, code);
        var tokens = await Api.Json(login);
        await api.RefreshAsync(tokens.GetProperty("refresh").GetString()!);
        await api.GetAsync("/api/users/me/", tokens.GetProperty("access").GetString()!);
        var admin = await api.LoginAsync(GatewayFactory.AdminPhone);
        var lookup = await api.GetAsync($"/api/admin/phones/{phone}/", admin.Access);

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, lookup.StatusCode);
        Assert.True(factory.Lines.Count > 50, $"only {factory.Lines.Count} log lines were recorded");
        Assert.Contains(factory.Lines, line => line.Contains($"RequestPath=/api/admin/phones/{PhoneMask.Mask(phone)}/", StringComparison.Ordinal));
        Assert.DoesNotContain(factory.Lines, line => line.Contains(code, StringComparison.Ordinal));
        var withPhone = factory.Lines.Where(line => line.Contains(phone[1..], StringComparison.Ordinal)).ToList();
        Assert.True(withPhone.Count == 0, string.Join("\n", withPhone.Take(5)));
    }
}
