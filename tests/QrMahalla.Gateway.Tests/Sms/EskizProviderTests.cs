using System.Diagnostics;

namespace QrMahalla.Gateway.Tests.Sms;

/// <summary>The gateway, co-hosted silo and Eskiz sender against the fake Eskiz: a full login and each failure.</summary>
public sealed class EskizProviderTests : IAsyncLifetime
{
    private FakeEskiz eskiz = null!;
    private GatewayFactory factory = null!;
    private Api api = null!;

    public async Task InitializeAsync()
    {
        eskiz = await FakeEskiz.StartAsync();
        factory = new GatewayFactory(TestSettings.NewTempFolder("eskiz"), new()
        {
            ["Sms:Provider"] = "Eskiz",
            ["Sms:Eskiz:BaseUrl"] = eskiz.BaseUrl.ToString(),
            ["Sms:Eskiz:Email"] = FakeEskiz.Email,
            ["Sms:Eskiz:Password"] = FakeEskiz.Password,
            ["Sms:Eskiz:From"] = "QRMAHALLA",
            ["Sms:Timeout"] = "00:00:03",
            ["Sms:WebOtpDomain"] = "app.qrmahalla.uz",
        });
        api = new Api(factory.CreateClient(), factory.Outbox);
    }

    public async Task DisposeAsync()
    {
        await factory.DisposeAsync();
        await eskiz.DisposeAsync();
    }

    private string LastCode(string phone)
    {
        var message = eskiz.Delivered.Last(d => d.Phone == phone.TrimStart('+')).Message;
        return message[^6..];
    }

    [Fact]
    public async Task A_full_login_goes_through_eskiz_with_one_send_in_the_right_format()
    {
        var phone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        var login = await api.VerifyAsync(phone, LastCode(phone));

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var sent = Assert.Single(eskiz.Delivered);
        Assert.Equal(phone.TrimStart('+'), sent.Phone);
        Assert.Matches("^998[0-9]{9}$", sent.Phone);
        Assert.Equal("QRMAHALLA", sent.From);
        Assert.Matches("^QR Mahalla: your code is [0-9]{6}\n\n@app\\.qrmahalla\\.uz #[0-9]{6}$", sent.Message);
        Assert.Equal(1, eskiz.Logins);
        Assert.Empty(factory.Outbox.Messages());
    }

    [Fact]
    public async Task A_token_rejected_with_401_is_renewed_and_the_send_goes_through()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(TestSettings.NewPhone())).StatusCode);
        eskiz.RevokeTokens();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(TestSettings.NewPhone())).StatusCode);

        Assert.Equal(2, eskiz.Logins);
        Assert.Equal(2, eskiz.Delivered.Count);
    }

    [Fact]
    public async Task A_token_close_to_its_expiry_is_renewed_before_it_is_used()
    {
        eskiz.TokenLifetime = TimeSpan.FromHours(12);

        await api.SendCodeAsync(TestSettings.NewPhone());
        await api.SendCodeAsync(TestSettings.NewPhone());
        eskiz.TokenLifetime = TimeSpan.FromDays(30);
        await api.SendCodeAsync(TestSettings.NewPhone());
        await api.SendCodeAsync(TestSettings.NewPhone());

        Assert.Equal(3, eskiz.Logins);
        Assert.Equal(4, eskiz.Delivered.Count);
    }

    [Fact]
    public async Task A_5xx_is_retried_inside_one_send_that_counts_once_toward_the_hourly_cap()
    {
        var phone = TestSettings.NewPhone();
        eskiz.FailNextSendWith(503);

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        Assert.Equal(2, eskiz.SendAttempts);
        for (var i = 0; i < 4; i++)
        {
            factory.Time.Advance(TimeSpan.FromSeconds(61));
            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
        }

        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(5, eskiz.Delivered.Count(d => d.Phone == phone.TrimStart('+')));
    }

    [Fact]
    public async Task A_provider_that_stalls_gives_a_quick_502_and_keeps_the_previous_code()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        var previous = LastCode(phone);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        for (var i = 0; i < 3; i++)
        {
            eskiz.StallNextSend();
        }

        var clock = Stopwatch.StartNew();
        var failed = await api.SendCodeAsync(phone);
        var elapsed = clock.Elapsed;

        await Api.Error(failed, HttpStatusCode.BadGateway, "sms_failed");
        Assert.True(elapsed < TimeSpan.FromSeconds(6), $"the 502 took {elapsed.TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(phone, previous)).StatusCode);
    }

    [Fact]
    public async Task Wrong_credentials_give_502_and_name_no_code_in_the_answer()
    {
        await using var wrong = new GatewayFactory(TestSettings.NewTempFolder("eskiz-wrong"), new()
        {
            ["Sms:Provider"] = "Eskiz",
            ["Sms:Eskiz:BaseUrl"] = eskiz.BaseUrl.ToString(),
            ["Sms:Eskiz:Email"] = FakeEskiz.Email,
            ["Sms:Eskiz:Password"] = "not-the-password",
        });

        var response = await new Api(wrong.CreateClient(), wrong.Outbox).SendCodeAsync(TestSettings.NewPhone());

        var json = await Api.Error(response, HttpStatusCode.BadGateway, "sms_failed");
        Assert.Equal("Error sending SMS", json.GetProperty("error").GetString());
        Assert.Equal(["error", "code"], json.EnumerateObject().Select(p => p.Name));
        Assert.DoesNotMatch("[0-9]{4,}", json.GetRawText());
        Assert.Empty(eskiz.Delivered);
    }
}
