namespace QrMahalla.Cluster.Tests;

/// <summary>Drives a phone into the states the limits guard, as a guessing attacker would.</summary>
public static class PhoneLocks
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static readonly DeviceInfo Device = new("attacker", "Attacker", "127.0.0.1", "tests");

    /// <summary>Asks for a code and guesses wrong until it dies, then lets the cooldown pass.</summary>
    public static async Task KillCodeAsync(ClusterFixture fixture, IPhoneGrain grain, string phone)
    {
        Assert.Equal(SendCodeStatus.Sent, (await grain.RequestCodeAsync(Client)).Status);
        var code = fixture.Outbox.LatestCodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        VerifyResult last;
        do
        {
            last = await grain.VerifyAsync(wrong, Device);
        }
        while (last.Status == VerifyStatus.InvalidCode);

        Assert.Equal(VerifyStatus.TooManyAttempts, last.Status);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
    }

    /// <summary>Three dead codes within the hour: the phone is locked.</summary>
    public static async Task<IPhoneGrain> LockAsync(ClusterFixture fixture, string phone)
    {
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        for (var round = 0; round < 3; round++)
        {
            await KillCodeAsync(fixture, grain, phone);
        }

        Assert.Equal(SendCodeStatus.RateLimited, (await grain.RequestCodeAsync(Client)).Status);
        return grain;
    }
}
