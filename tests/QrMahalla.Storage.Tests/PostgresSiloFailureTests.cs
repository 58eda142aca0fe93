namespace QrMahalla.Storage.Tests;

/// <summary>Three silos on PostgreSQL storage: killing the silo that holds a phone mid-flow loses nothing.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresSiloFailureTests(PostgresClusterFixture fixture)
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static readonly DeviceInfo Device = new("device-1", "Test phone", "127.0.0.1", "tests");

    [Fact]
    public async Task Killing_the_phone_grains_silo_mid_flow_keeps_attempts_code_and_binding()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(Client);
        var first = await grain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await grain.RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        Assert.Equal(4, (await grain.VerifyAsync(wrong, Device)).AttemptsLeft);

        var killed = await fixture.KillSiloHostingAsync(grain);

        var afterKill = await grain.VerifyAsync(wrong, Device);
        var login = await grain.VerifyAsync(code, Device);

        Assert.Equal(3, afterKill.AttemptsLeft);
        Assert.Equal(VerifyStatus.Success, login.Status);
        Assert.Equal(first.User!.Id, login.User!.Id);
        Assert.NotEqual(killed, fixture.SiloHosting(grain));
        await fixture.Cluster.StartAdditionalSiloAsync();
    }
}
