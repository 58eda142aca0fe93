using System.Diagnostics;
using Orleans.Configuration;
using QrMahalla.Grains.Hosting;

namespace QrMahalla.Cluster.Tests;

/// <summary>
/// A cluster whose SMS provider takes each request and never answers, and whose client gives up on calls lost with a
/// silo as a gateway does (the gateway list re-read every second, <see cref="Grace"/> after a gateway is lost).
/// </summary>
public sealed class DepartureFixture : ClusterFixture
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    public SmsBlackHole Sms { get; } = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Sms.Dispose();
    }

    protected override void AdjustSettings(Dictionary<string, string?> settings)
    {
        settings["Sms:Provider"] = "Webhook";
        settings["Sms:Webhook:Url"] = Sms.Url.ToString();
        settings["Sms:Webhook:Secret"] = "a-webhook-secret-nobody-checks-here";
        // The silo would give up on the provider only after a minute: far beyond the client's 10 s response timeout.
        settings["Sms:Timeout"] = "00:01:00";
    }

    protected override void ConfigureClient(IClientBuilder client)
    {
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        client.AddDepartedSiloCalls(Grace);
    }
}

public sealed class DepartedSiloCallsTests(DepartureFixture fixture) : IClassFixture<DepartureFixture>
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static readonly DeviceInfo Device = new("device-1", "Test phone", "127.0.0.1", "tests");

    [Fact]
    public async Task A_call_pending_on_a_silo_that_is_killed_fails_after_the_departure_grace_not_the_response_timeout()
    {
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(TestSettings.NewPhone());
        // A guess before any code activates the grain without sending anything.
        Assert.NotEqual(VerifyStatus.Success, (await grain.VerifyAsync("123456", Device)).Status);

        var pending = grain.RequestCodeAsync(Client);
        await fixture.Sms.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(fixture.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context), "the grain is not active");
        var host = fixture.Cluster.GetSiloForAddress(context.Address.SiloAddress!)!;
        var clock = Stopwatch.StartNew();
        // An in-process silo stops around its stuck grain slowly; its connections go first, which the client sees.
        var kill = fixture.Cluster.KillSiloAsync(host);

        // Orleans alone holds the call for the client's 10 s response timeout, then throws a plain TimeoutException.
        await Assert.ThrowsAsync<CallLostWithSiloException>(() => pending);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the lost call failed {clock.Elapsed} after the kill began");
        fixture.Sms.Release();
        await kill;
        await fixture.Cluster.WaitForLivenessToStabilizeAsync(didKill: true);

        // A call begun after the loss is left alone: it reaches the grain again, now on the surviving silo.
        Assert.NotEqual(VerifyStatus.Success, (await grain.VerifyAsync("123456", Device)).Status);
        Assert.NotEqual(host.SiloAddress, fixture.SiloHosting(grain));
    }
}
