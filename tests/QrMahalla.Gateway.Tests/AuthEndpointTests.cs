using System.Text;

namespace QrMahalla.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthEndpointTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    private static string Wrong(string code) => code == "000000" ? "111111" : "000000";

    [Fact]
    public async Task Send_step_answers_like_the_old_endpoint_with_the_normalised_phone()
    {
        var phone = TestSettings.NewPhone();
        var spaced = $"{phone[..4]} {phone[4..6]} {phone[6..9]} {phone[9..11]} {phone[11..]}";

        var response = await api.SendCodeAsync(spaced);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Api.Json(response);
        Assert.Equal("SMS code sent", json.GetProperty("message").GetString());
        Assert.Equal(phone, json.GetProperty("phone").GetString());
        Assert.Equal("Please verify your phone number with the code sent via SMS", json.GetProperty("detail").GetString());
        Assert.Equal(120, json.GetProperty("expires_in").GetInt32());
        Assert.Equal(60, json.GetProperty("resend_after").GetInt32());
        Assert.Equal(1, factory.Outbox.CountFor(phone));
        Assert.DoesNotContain(factory.Outbox.LatestCodeFor(phone), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task No_answer_of_a_whole_flow_carries_a_code_in_its_body_or_its_headers()
    {
        var phone = TestSettings.NewPhone();
        var answers = new List<HttpResponseMessage> { await api.SendCodeAsync(phone), await api.SendCodeAsync(phone) };
        var first = factory.Outbox.LatestCodeFor(phone);
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await api.VerifyAsync(phone, Wrong(first))); // 400 invalid_code x4, 429 too_many_attempts x2
        }

        answers.Add(await api.VerifyAsync(phone, first)); // the right code of a dead code
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        answers.Add(await api.SendCodeAsync(phone));
        var second = factory.Outbox.LatestCodeFor(phone);
        factory.Time.Advance(TimeSpan.FromSeconds(121));
        answers.Add(await api.VerifyAsync(phone, second)); // code_expired
        answers.Add(await api.SendCodeAsync(phone));
        var third = factory.Outbox.LatestCodeFor(phone);
        answers.Add(await api.VerifyAsync(phone, third)); // success
        answers.Add(await api.VerifyAsync(phone, third)); // spent

        Assert.Equal([200, 429, 400, 400, 400, 400, 429, 429, 429, 200, 400, 200, 200, 400], answers.Select(a => (int)a.StatusCode));
        foreach (var answer in answers)
        {
            var text = await answer.Content.ReadAsStringAsync()
                + string.Join("\n", answer.Headers.Concat(answer.Content.Headers).SelectMany(h => h.Value));
            foreach (var code in new[] { first, second, third })
            {
                Assert.DoesNotContain(code, text);
            }
        }
    }

    [Fact]
    public async Task Verify_step_returns_es256_tokens_and_the_user()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);

        var response = await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Api.Json(response);
        var user = json.GetProperty("user");
        Assert.Equal(phone, user.GetProperty("phone").GetString());
        Assert.Equal("user", user.GetProperty("role").GetString());
        Assert.Equal("", user.GetProperty("first_name").GetString());
        Assert.Equal("", user.GetProperty("last_name").GetString());
        var access = json.GetProperty("access").GetString()!;
        var refresh = json.GetProperty("refresh").GetString()!;
        Assert.Equal("ES256", Api.Header(access).GetProperty("alg").GetString());
        Assert.Equal("at+jwt", Api.Header(access).GetProperty("typ").GetString());
        Assert.Equal("refresh+jwt", Api.Header(refresh).GetProperty("typ").GetString());
        Assert.Equal(TestSettings.Secrets.Kid, Api.Header(access).GetProperty("kid").GetString());
        var claims = Api.Payload(access);
        Assert.Equal(user.GetProperty("id").GetString(), claims.GetProperty("sub").GetString());
        foreach (var claim in new[] { "sid", "role", "jti", "iss", "aud", "iat", "exp" })
        {
            Assert.True(claims.TryGetProperty(claim, out _), claim);
        }
    }

    [Fact]
    public async Task Form_bodies_phone_numbers_given_as_numbers_and_paths_without_a_slash_work()
    {
        var phone = TestSettings.NewPhone();

        var sent = await api.PostRawAsync("/api/users/auth", $"{{\"phone\": {phone[1..]}}}");
        var code = factory.Outbox.LatestCodeFor(phone);
        var verified = await api.Http.PostAsync("/api/users/auth/", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["phone"] = phone[4..], ["code"] = code, ["device_id"] = "form-device", ["device_name"] = "Form",
        }));

        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"+998901234567\"")]
    [InlineData("{\"phone\": {\"nested\": 1}}")]
    [InlineData("{\"phone\": true}")]
    [InlineData("{\"phone\": [\"+998901234567\"]}")]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("{\"phone\": null}")]
    public async Task Malformed_bodies_get_400_invalid_request(string body) =>
        await Api.Error(await api.PostRawAsync("/api/users/auth/", body), HttpStatusCode.BadRequest, "invalid_request");

    [Fact]
    public async Task Binary_bodies_get_415_for_their_type_and_400_when_they_claim_to_be_json()
    {
        byte[] binary = [0xFF, 0xD8, 0x00, 0x01, 0x02, 0x7F, 0x80, 0xFE];
        var octets = new ByteArrayContent(binary);
        octets.Headers.ContentType = new("application/octet-stream");
        var claimsJson = new ByteArrayContent(binary);
        claimsJson.Headers.ContentType = new("application/json");

        await Api.Error(await api.Http.PostAsync("/api/users/auth/", octets), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await Api.Error(await api.Http.PostAsync("/api/users/auth/", claimsJson), HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Huge_bodies_get_413_in_the_error_shape()
    {
        var body = $"{{\"phone\": \"{new string('9', 200_000)}\"}}";

        await Api.Error(await api.PostRawAsync("/api/users/auth/", body), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task A_chunked_form_body_over_the_limit_gets_413()
    {
        var content = new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes("phone=" + new string('9', 100_000))));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/users/auth/") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await Api.Error(await api.Http.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Theory]
    [InlineData("not a phone")]
    [InlineData("+99890123")]
    [InlineData("+998712345678")]
    public async Task Unparseable_phones_get_400_invalid_phone(string phone) =>
        await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.BadRequest, "invalid_phone");

    [Fact]
    public async Task Phones_outside_the_allowed_regions_get_400_and_no_sms()
    {
        await Api.Error(await api.SendCodeAsync("+14155552671"), HttpStatusCode.BadRequest, "region_not_allowed");

        Assert.Equal(0, factory.Outbox.CountFor("+14155552671"));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12a456")]
    [InlineData("")]
    public async Task Codes_that_are_not_six_digits_get_400_invalid_request(string code) =>
        await Api.Error(await api.VerifyAsync(TestSettings.NewPhone(), code), HttpStatusCode.BadRequest, "invalid_request");

    [Fact]
    public async Task Wrong_code_gets_invalid_code_with_attempts_left()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);

        var json = await Api.Error(await api.VerifyAsync(phone, Wrong(factory.Outbox.LatestCodeFor(phone))), HttpStatusCode.BadRequest, "invalid_code");

        Assert.Equal(4, json.GetProperty("attempts_left").GetInt32());
    }

    [Fact]
    public async Task Verify_without_an_outstanding_code_gets_invalid_code()
    {
        var json = await Api.Error(await api.VerifyAsync(TestSettings.NewPhone(), "123456"), HttpStatusCode.BadRequest, "invalid_code");

        Assert.False(json.TryGetProperty("attempts_left", out _));
    }

    [Fact]
    public async Task A_used_code_gets_invalid_code()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        var code = factory.Outbox.LatestCodeFor(phone);
        Assert.Equal(HttpStatusCode.OK, (await api.VerifyAsync(phone, code)).StatusCode);

        await Api.Error(await api.VerifyAsync(phone, code), HttpStatusCode.BadRequest, "invalid_code");
    }

    [Fact]
    public async Task Expired_code_gets_code_expired()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        factory.Time.Advance(TimeSpan.FromSeconds(121));

        await Api.Error(await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone)), HttpStatusCode.BadRequest, "code_expired");
    }

    [Fact]
    public async Task The_fifth_wrong_guess_and_every_verify_after_it_get_429_too_many_attempts()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        var code = factory.Outbox.LatestCodeFor(phone);
        for (var i = 0; i < 4; i++)
        {
            await Api.Error(await api.VerifyAsync(phone, Wrong(code)), HttpStatusCode.BadRequest, "invalid_code");
        }

        var fifth = await api.VerifyAsync(phone, Wrong(code));
        var json = await Api.Error(fifth, HttpStatusCode.TooManyRequests, "too_many_attempts");
        var after = await api.VerifyAsync(phone, code);

        Assert.True(fifth.Headers.Contains("Retry-After"));
        Assert.True(json.TryGetProperty("retry_after", out _));
        await Api.Error(after, HttpStatusCode.TooManyRequests, "too_many_attempts");
    }

    [Fact]
    public async Task Resend_inside_the_cooldown_gets_429_with_retry_after()
    {
        var phone = TestSettings.NewPhone();
        await api.SendCodeAsync(phone);
        factory.Time.Advance(TimeSpan.FromSeconds(15));

        var response = await api.SendCodeAsync(phone);

        var json = await Api.Error(response, HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(45, json.GetProperty("retry_after").GetInt32());
        Assert.Equal("45", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal(1, factory.Outbox.CountFor(phone));
    }

    [Fact]
    public async Task The_sixth_send_in_an_hour_gets_429()
    {
        var phone = TestSettings.NewPhone();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
            factory.Time.Advance(TimeSpan.FromSeconds(61));
        }

        var json = await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");

        Assert.Equal(3600 - 5 * 61, json.GetProperty("retry_after").GetInt32());
        Assert.Equal(5, factory.Outbox.CountFor(phone));
    }

    [Fact]
    public async Task Three_dead_codes_lock_the_phone()
    {
        var phone = TestSettings.NewPhone();
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);
            var code = factory.Outbox.LatestCodeFor(phone);
            for (var i = 0; i < 5; i++)
            {
                await api.VerifyAsync(phone, Wrong(code));
            }

            factory.Time.Advance(TimeSpan.FromSeconds(61));
        }

        await Api.Error(await api.SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");
        await Api.Error(await api.VerifyAsync(phone, "123456"), HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(3, factory.Outbox.CountFor(phone));
    }

    [Fact]
    public async Task The_send_step_is_identical_for_known_and_unknown_phones()
    {
        var known = TestSettings.NewPhone();
        await api.LoginAsync(known);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        var unknown = TestSettings.NewPhone();

        var forKnown = await api.SendCodeAsync(known);
        var forUnknown = await api.SendCodeAsync(unknown);

        Assert.Equal(forKnown.StatusCode, forUnknown.StatusCode);
        Assert.Equal(
            (await forKnown.Content.ReadAsStringAsync()).Replace(known, "PHONE"),
            (await forUnknown.Content.ReadAsStringAsync()).Replace(unknown, "PHONE"));
        static IEnumerable<string> Headers(HttpResponseMessage response) => response.Headers.Concat(response.Content.Headers)
            .Where(h => h.Key != "Date")
            .Select(h => $"{h.Key}: {string.Join(", ", h.Value)}").Order();
        Assert.Equal(Headers(forKnown), Headers(forUnknown));
    }
}
