namespace QrMahalla.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MetricsTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    private async Task<string> ScrapeAsync()
    {
        var response = await api.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>
    /// The value of the series named like <c>name{label="value",...}</c> whose labels include the given ones (the
    /// exporter adds its own, such as otel_scope_name); 0 when it has not appeared yet.
    /// </summary>
    private static double Value(string scrape, string series)
    {
        var name = series.Split('{')[0];
        var wanted = series.Contains('{') ? series[(name.Length + 1)..^1].Split(',') : [];
        foreach (var line in scrape.Split('\n'))
        {
            var labelsEnd = line.IndexOf('}');
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var labels = line[name.Length] == '{' ? line[(name.Length + 1)..labelsEnd].Split(',') : [];
            if (wanted.All(labels.Contains))
            {
                var value = line[((labelsEnd < 0 ? name.Length : labelsEnd + 1) + 1)..].Split(' ')[0];
                return double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [Fact]
    public async Task Metrics_count_sends_verifies_users_and_refreshes_without_phones_or_codes()
    {
        var before = await ScrapeAsync();
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        var code = factory.Outbox.LatestCodeFor(phone);
        await api.VerifyAsync(phone, code == "000000" ? "111111" : "000000");
        var login = await Api.Json(await api.VerifyAsync(phone, code));
        await api.RefreshAsync(login.GetProperty("refresh").GetString()!);
        await api.SendCodeAsync(phone);

        var after = await ScrapeAsync();

        Assert.Equal(1, Value(after, "qrm_codes_sent_total{result=\"sent\"}") - Value(before, "qrm_codes_sent_total{result=\"sent\"}"));
        Assert.Equal(1, Value(after, "qrm_codes_sent_total{result=\"rate_limited\"}") - Value(before, "qrm_codes_sent_total{result=\"rate_limited\"}"));
        Assert.Equal(1, Value(after, "qrm_rate_limit_rejections_total{action=\"send\",scope=\"phone\"}") - Value(before, "qrm_rate_limit_rejections_total{action=\"send\",scope=\"phone\"}"));
        Assert.Equal(1, Value(after, "qrm_codes_verified_total{result=\"invalid_code\"}") - Value(before, "qrm_codes_verified_total{result=\"invalid_code\"}"));
        Assert.Equal(1, Value(after, "qrm_codes_verified_total{result=\"success\"}") - Value(before, "qrm_codes_verified_total{result=\"success\"}"));
        Assert.Equal(1, Value(after, "qrm_users_created_total") - Value(before, "qrm_users_created_total"));
        Assert.Equal(1, Value(after, "qrm_tokens_refreshed_total{result=\"success\"}") - Value(before, "qrm_tokens_refreshed_total{result=\"success\"}"));
        Assert.True(Value(after, "qrm_sms_duration_seconds_count{outcome=\"sent\",provider=\"file\"}") >= 1);
        Assert.Contains("http_server_request_duration_seconds", after);
        Assert.DoesNotContain(phone[1..], after);
        Assert.DoesNotContain(code, after.Split('\n').Where(l => !l.StartsWith('#')).Select(l => l.Split(' ')[0]));
    }
}

/// <summary>The Orleans Dashboard, turned on in Development.</summary>
public sealed class DashboardFactory() : GatewayFactory(TestSettings.NewTempFolder("dashboard"), new() { ["Dashboard:Enabled"] = "true" });

public sealed class DashboardTests(DashboardFactory factory) : IClassFixture<DashboardFactory>
{
    [Fact]
    public async Task The_dashboard_is_served_at_its_path_when_enabled()
    {
        var response = await factory.CreateClient().GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<html", (await response.Content.ReadAsStringAsync()).ToLowerInvariant());
    }

    [Fact]
    public async Task The_dashboard_is_off_by_default()
    {
        await using var plain = new GatewayFactory(TestSettings.NewTempFolder("no-dashboard"), new());

        var response = await plain.CreateClient().GetAsync("/dashboard/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

/// <summary>Outside Development: management endpoints only on the management port, the dashboard behind a password.</summary>
public sealed class ProductionManagementTests
{
    private static Dictionary<string, string?> ProductionSettings(Dictionary<string, string?> extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sms:Provider"] = "Webhook",
            ["Sms:Webhook:Url"] = "http://127.0.0.1:9/sms",
            ["Sms:Webhook:Secret"] = "a-webhook-secret-for-production-tests",
            ["Dashboard:Enabled"] = "true",
            ["Gateway:ManagementUrls:0"] = "http://127.0.0.1:9464",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task Metrics_and_dashboard_answer_only_on_the_management_port_whatever_the_host_header_and_the_dashboard_wants_the_password()
    {
        await using var factory = new GatewayFactory(TestSettings.NewTempFolder("prod-management"), ProductionSettings(new()
        {
            ["Dashboard:Username"] = "ops",
            ["Dashboard:Password"] = "correct horse battery staple",
        }), "Production");
        var http = factory.CreateClient();

        // "localhost" arrives on the main port; "management" on 9464, the configured management port.
        async Task<HttpStatusCode> GetAsync(string listener, string path, string? basic = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "127.0.0.1:9464";
            if (listener == "127.0.0.1:9464")
            {
                request.Headers.Add(LoopbackPeer.LocalPortHeader, "9464");
            }

            if (basic is not null)
            {
                request.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(basic)));
            }

            return (await http.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.NotFound, await GetAsync("localhost", "/metrics"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("127.0.0.1:9464", "/metrics"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync("localhost", "/dashboard/", "ops:correct horse battery staple"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync("127.0.0.1:9464", "/dashboard/"));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync("127.0.0.1:9464", "/dashboard/", "ops:wrong"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("127.0.0.1:9464", "/dashboard/", "ops:correct horse battery staple"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync("localhost", "/health/live"));
    }
}
