using QrMahalla.Gateway.Hosting;

namespace QrMahalla.Gateway.Tests;

/// <summary>The default limits, with the test acting as the one known proxy so it can speak for many addresses.</summary>
public sealed class LimitedGatewayFactory() : GatewayFactory(TestSettings.NewTempFolder("limited"), new()
{
    ["RateLimiting:SendPerIpPerMinute"] = "10",
    ["RateLimiting:VerifyPerIpPerMinute"] = "30",
    ["Gateway:KnownProxies:0"] = "127.0.0.1",
});

public sealed class AbuseProtectionTests(LimitedGatewayFactory factory) : IClassFixture<LimitedGatewayFactory>
{
    private static int addressCounter = Random.Shared.Next(1, 250);

    private Api ApiFrom(string address)
    {
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        return new Api(http, factory.Outbox);
    }

    private static string NewAddress() => $"198.51.{Interlocked.Increment(ref addressCounter) % 250}.{Random.Shared.Next(1, 250)}";

    private static string Wrong(string code, int i) => ((int.Parse(code) + 1 + i) % 1_000_000).ToString("D6");

    [Fact]
    public async Task The_eleventh_send_from_one_address_in_a_minute_gets_429_and_other_addresses_do_not()
    {
        var attacker = ApiFrom(NewAddress());
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await attacker.SendCodeAsync(TestSettings.NewPhone())).StatusCode);
        }

        var eleventh = await attacker.SendCodeAsync(TestSettings.NewPhone());
        var json = await Api.Error(eleventh, HttpStatusCode.TooManyRequests, "rate_limited");
        var neighbour = await ApiFrom(NewAddress()).SendCodeAsync(TestSettings.NewPhone());

        Assert.InRange(json.GetProperty("retry_after").GetInt32(), 1, 60);
        Assert.True(eleventh.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, neighbour.StatusCode);
    }

    [Fact]
    public async Task The_thirty_first_verify_from_one_address_in_a_minute_gets_429()
    {
        var attacker = ApiFrom(NewAddress());
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await attacker.VerifyAsync(TestSettings.NewPhone(), "123456")).StatusCode);
        }

        await Api.Error(await attacker.VerifyAsync(TestSettings.NewPhone(), "123456"), HttpStatusCode.TooManyRequests, "rate_limited");
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.BadRequest, (await attacker.VerifyAsync(TestSettings.NewPhone(), "123456")).StatusCode);
    }

    [Fact]
    public async Task Ipv6_addresses_in_one_slash_64_share_a_limit()
    {
        var third = Random.Shared.Next(1, 0xffff);
        var fourth = Random.Shared.Next(1, 0xfffe);
        var prefix = $"2001:db8:{third:x}:{fourth:x}";
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ApiFrom($"{prefix}::{i + 1:x}").SendCodeAsync(TestSettings.NewPhone())).StatusCode);
        }

        await Api.Error(await ApiFrom($"{prefix}:1:2:3:4").SendCodeAsync(TestSettings.NewPhone()), HttpStatusCode.TooManyRequests, "rate_limited");
        // The neighbouring /64 in the same /48 is another client: grouping by /48 would refuse it.
        Assert.Equal(HttpStatusCode.OK, (await ApiFrom($"2001:db8:{third:x}:{fourth + 1:x}::1").SendCodeAsync(TestSettings.NewPhone())).StatusCode);
    }

    [Fact]
    public async Task A_hundred_and_one_wrong_guesses_from_one_address_never_succeed_and_send_at_most_five_sms()
    {
        var attacker = ApiFrom(NewAddress());
        var phone = TestSettings.NewPhone();
        var statuses = new List<HttpStatusCode>();
        var guesses = 0;
        while (guesses < 101)
        {
            var sent = await attacker.SendCodeAsync(phone);
            var code = sent.StatusCode == HttpStatusCode.OK ? factory.Outbox.LatestCodeFor(phone) : "000000";
            for (var i = 0; i < 5 && guesses < 101; i++, guesses++)
            {
                // The attacker never types the real code: a success could then only come from a broken rule.
                statuses.Add((await attacker.VerifyAsync(phone, Wrong(code, i))).StatusCode);
            }

            factory.Time.Advance(TimeSpan.FromSeconds(61));
        }

        Assert.Equal(101, statuses.Count);
        Assert.DoesNotContain(HttpStatusCode.OK, statuses);
        Assert.InRange(factory.Outbox.CountFor(phone), 1, 5);
        Assert.All(statuses.Skip(15), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        await Api.Error(await ApiFrom(NewAddress()).SendCodeAsync(phone), HttpStatusCode.TooManyRequests, "rate_limited");
    }
}

/// <summary>No known proxies: X-Forwarded-For is the client's own claim and is ignored.</summary>
public sealed class UntrustedProxyFactory() : GatewayFactory(TestSettings.NewTempFolder("untrusted"), new()
{
    ["RateLimiting:SendPerIpPerMinute"] = "3",
});

public sealed class ForwardedHeaderTests(UntrustedProxyFactory factory) : IClassFixture<UntrustedProxyFactory>
{
    [Fact]
    public async Task Forwarded_addresses_from_an_unknown_peer_do_not_escape_the_limit()
    {
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            await SendsFromFourForwardedAddressesAsync(factory));
    }

    /// <summary>Four sends, each claiming another client address in X-Forwarded-For; the limit is three a minute.</summary>
    public static async Task<List<HttpStatusCode>> SendsFromFourForwardedAddressesAsync(GatewayFactory factory)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            var http = factory.CreateClient();
            http.DefaultRequestHeaders.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            statuses.Add((await new Api(http, factory.Outbox).SendCodeAsync(TestSettings.NewPhone())).StatusCode);
        }

        return statuses;
    }
}

/// <summary>A proxy is listed, but it is not the peer the requests come from (loopback, which ASP.NET trusts by default).</summary>
public sealed class OtherProxyFactory() : GatewayFactory(TestSettings.NewTempFolder("other-proxy"), new()
{
    ["RateLimiting:SendPerIpPerMinute"] = "3",
    ["Gateway:KnownProxies:0"] = "10.9.9.9",
});

public sealed class ForwardedHeaderFromUnlistedPeerTests(OtherProxyFactory factory) : IClassFixture<OtherProxyFactory>
{
    [Fact]
    public async Task Forwarded_addresses_from_a_loopback_peer_that_is_not_the_listed_proxy_do_not_escape_the_limit()
    {
        // The forwarded-headers middleware runs here (a proxy is listed); only its cleared defaults keep loopback out.
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests],
            await ForwardedHeaderTests.SendsFromFourForwardedAddressesAsync(factory));
    }
}

/// <summary>The proxy is listed as a range (behind an ingress its address is not known in advance); the peer is in it.</summary>
public sealed class ProxyRangeFactory() : GatewayFactory(TestSettings.NewTempFolder("proxy-range"), new()
{
    ["RateLimiting:SendPerIpPerMinute"] = "3",
    ["Gateway:KnownProxies:0"] = "10.9.0.0/16",
    ["Gateway:KnownProxies:1"] = "127.0.0.0/8",
});

public sealed class ProxyRangeTests(ProxyRangeFactory factory) : IClassFixture<ProxyRangeFactory>
{
    [Fact]
    public async Task A_peer_inside_a_listed_range_is_believed_so_each_forwarded_client_has_its_own_limit()
    {
        Assert.Equal(
            [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK],
            await ForwardedHeaderTests.SendsFromFourForwardedAddressesAsync(factory));
    }

    [Theory]
    [InlineData("10.0.0.7", "10.0.0.7/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("fd00::/8", "fd00::/8")]
    [InlineData("::1", "::1/128")]
    [InlineData("10.0.0.1/8", "10.0.0.0/8")]
    public void Known_proxies_are_addresses_or_ranges(string entry, string network)
    {
        Assert.Equal(network, HttpEdge.ParseProxy(entry).ToString());
    }

    [Theory]
    [InlineData("proxy.internal")]
    [InlineData("10.0.0.0/33")]
    public void Anything_else_stops_the_start_with_one_sentence(string entry)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => HttpEdge.ParseProxy(entry));
        Assert.Equal($"Gateway:KnownProxies entry '{entry}' is neither an IP address nor an address range such as 10.0.0.0/8.", refused.Message);
    }
}

/// <summary>App-store review numbers: a fixed code, no SMS.</summary>
public sealed class TestNumberFactory() : GatewayFactory(TestSettings.NewTempFolder("test-numbers"), new()
{
    ["Otp:TestNumbers:998901111111"] = "424242",
});

public sealed class TestNumberTests(TestNumberFactory factory) : IClassFixture<TestNumberFactory>
{
    [Fact]
    public async Task A_test_number_logs_in_with_its_fixed_code_and_gets_no_sms()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync("+998 90 111 11 11")).StatusCode);
        var login = await api.VerifyAsync("+998901111111", "424242");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(0, factory.Outbox.CountFor("+998901111111"));
    }

    [Fact]
    public async Task Other_numbers_still_get_a_random_code_by_sms()
    {
        var api = new Api(factory.CreateClient(), factory.Outbox);
        var phone = TestSettings.NewPhone();

        Assert.Equal(HttpStatusCode.OK, (await api.SendCodeAsync(phone)).StatusCode);

        Assert.Equal(1, factory.Outbox.CountFor(phone));
        await Api.Error(await api.VerifyAsync(phone, factory.Outbox.LatestCodeFor(phone) == "424242" ? "424243" : "424242"), HttpStatusCode.BadRequest, "invalid_code");
    }
}
