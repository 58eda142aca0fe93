namespace QrMahalla.Cluster.Tests;

/// <summary>A cluster of its own: these tests kill silos.</summary>
public sealed class SiloFailureFixture : ClusterFixture;

public sealed class SiloFailureTests(SiloFailureFixture fixture) : IClassFixture<SiloFailureFixture>
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static readonly DeviceInfo Device = new("device-1", "Test phone", "127.0.0.1", "tests");

    [Fact]
    public async Task Login_completes_on_another_silo_after_the_phone_grains_silo_is_killed()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        Assert.Equal(4, (await grain.VerifyAsync(wrong, Device)).AttemptsLeft);
        Assert.Equal(3, (await grain.VerifyAsync(wrong, Device)).AttemptsLeft);

        var killed = await fixture.KillSiloHostingAsync(grain);

        var afterKill = await grain.VerifyAsync(wrong, Device);
        var login = await grain.VerifyAsync(code, Device);

        Assert.Equal(2, afterKill.AttemptsLeft);
        Assert.Equal(VerifyStatus.Success, login.Status);
        Assert.NotEqual(killed, fixture.SiloHosting(grain));
        Assert.True(StorageRows.UserExists(fixture.DatabasePath, login.User!.Id));
        await fixture.Cluster.StartAdditionalSiloAsync();
    }

    [Fact]
    public async Task A_lockout_survives_the_kill_of_the_phone_grains_silo()
    {
        var phone = TestSettings.NewPhone();
        var grain = await PhoneLocks.LockAsync(fixture, phone);

        await fixture.KillSiloHostingAsync(grain);

        Assert.Equal(SendCodeStatus.RateLimited, (await grain.RequestCodeAsync(Client)).Status);
        Assert.Equal(VerifyStatus.RateLimited, (await grain.VerifyAsync("123456", Device)).Status);
        await fixture.Cluster.StartAdditionalSiloAsync();
    }
}
