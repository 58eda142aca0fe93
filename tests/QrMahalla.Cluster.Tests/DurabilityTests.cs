namespace QrMahalla.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class DurabilityTests(ClusterFixture fixture)
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");

    private static DeviceInfo Device(string id) => new(id, "Test phone", "127.0.0.1", "tests");

    [Fact]
    public async Task A_first_login_is_three_durable_writes()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);

        await grain.RequestCodeAsync(Client);
        var login = await grain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device("d"));

        Assert.Equal(1, StorageRows.Version(fixture.DatabasePath, "code", phone));
        Assert.Equal(1, StorageRows.Version(fixture.DatabasePath, "binding", phone));
        Assert.Equal(1, StorageRows.UserVersion(fixture.DatabasePath, login.User!.Id));
    }

    [Fact]
    public async Task A_consumed_code_stays_consumed_after_the_grain_is_deactivated()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);
        Assert.Equal(VerifyStatus.Success, (await grain.VerifyAsync(code, Device("d"))).Status);

        await fixture.Cluster.DeactivateAsync(grain);
        var replay = await grain.VerifyAsync(code, Device("d"));

        Assert.Equal(VerifyStatus.InvalidCode, replay.Status);
    }

    [Fact]
    public async Task Wrong_attempts_survive_deactivation()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(Client);
        var code = fixture.Outbox.LatestCodeFor(phone);
        var wrong = code == "000000" ? "111111" : "000000";
        await grain.VerifyAsync(wrong, Device("d"));
        await grain.VerifyAsync(wrong, Device("d"));

        await fixture.Cluster.DeactivateAsync(grain);
        var third = await grain.VerifyAsync(wrong, Device("d"));

        Assert.Equal(2, third.AttemptsLeft);
    }

    [Fact]
    public async Task Cooldown_and_lockout_survive_deactivation()
    {
        var locked = await PhoneLocks.LockAsync(fixture, TestSettings.NewPhone());
        var cooling = TestSettings.NewPhone();
        await fixture.Grains.GetGrain<IPhoneGrain>(cooling).RequestCodeAsync(Client);

        await fixture.Cluster.DeactivateAsync(fixture.Grains.GetGrain<IPhoneGrain>(cooling));
        await fixture.Cluster.DeactivateAsync(locked);

        Assert.Equal(SendCodeStatus.RateLimited, (await fixture.Grains.GetGrain<IPhoneGrain>(cooling).RequestCodeAsync(Client)).Status);
        var refused = await locked.RequestCodeAsync(Client);
        Assert.Equal(SendCodeStatus.RateLimited, refused.Status);
        Assert.InRange(refused.RetryAfterSeconds!.Value, 3000, 3600);
        Assert.Equal(VerifyStatus.RateLimited, (await locked.VerifyAsync("123456", Device("d"))).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_successful_login_clears_the_dead_code_count(bool reactivatedBeforeTheNextSend)
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        for (var round = 0; round < 2; round++)
        {
            await PhoneLocks.KillCodeAsync(fixture, grain, phone);
        }

        await grain.RequestCodeAsync(Client);
        Assert.Equal(VerifyStatus.Success, (await grain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device("d"))).Status);
        if (reactivatedBeforeTheNextSend)
        {
            await fixture.Cluster.DeactivateAsync(grain);
        }

        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await PhoneLocks.KillCodeAsync(fixture, grain, phone);

        Assert.Equal(SendCodeStatus.Sent, (await grain.RequestCodeAsync(Client)).Status);
    }

    [Fact]
    public async Task A_test_numbers_new_code_is_not_taken_for_its_spent_one_after_deactivation()
    {
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(ClusterFixture.TestNumber);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        await grain.RequestCodeAsync(Client);
        Assert.Equal(VerifyStatus.Success, (await grain.VerifyAsync(ClusterFixture.TestNumberCode, Device("d"))).Status);
        fixture.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(SendCodeStatus.Sent, (await grain.RequestCodeAsync(Client)).Status);

        await fixture.Cluster.DeactivateAsync(grain);

        Assert.Equal(VerifyStatus.Success, (await grain.VerifyAsync(ClusterFixture.TestNumberCode, Device("d"))).Status);
    }

    [Fact]
    public async Task A_login_racing_an_account_deletion_neither_deadlocks_nor_revives_the_account()
    {
        for (var round = 0; round < 5; round++)
        {
            var phone = TestSettings.NewPhone();
            var phoneGrain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
            await phoneGrain.RequestCodeAsync(Client);
            var first = await phoneGrain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device("a"));
            var user = fixture.Grains.GetGrain<IUserGrain>(first.User!.Id);
            fixture.Time.Advance(TimeSpan.FromSeconds(61));
            await phoneGrain.RequestCodeAsync(Client);
            var code = fixture.Outbox.LatestCodeFor(phone);

            // What DELETE /me does (delete, then unbind), at the same time as a login on another device.
            var deletion = fixture.Grains.GetGrain<IAccountDeletionGrain>(0)
                .DeleteOwnAsync(first.User.Id, PhoneGrainTests.SessionOf(first.Tokens!.Access), new ClientInfo("127.0.0.1", null));
            var loggingIn = phoneGrain.VerifyAsync(code, Device("b"));
            await Task.WhenAll(deletion, loggingIn).WaitAsync(TimeSpan.FromSeconds(8));
            var deleted = await deletion;
            var login = await loggingIn;

            Assert.Equal(AccountStatus.Ok, deleted.Status);
            Assert.Equal(VerifyStatus.Success, login.Status);
            if (login.User!.Id == first.User.Id)
            {
                // The login ran first: its session went with the account, and the phone is free again.
                Assert.False(await IsLiveAsync(user, PhoneGrainTests.SessionOf(login.Tokens!.Access)));
            }
            else
            {
                // The deletion ran first: the login found the tombstone and started a new account.
                Assert.True(login.NewUser);
                Assert.True(await IsLiveAsync(fixture.Grains.GetGrain<IUserGrain>(login.User.Id), PhoneGrainTests.SessionOf(login.Tokens!.Access)));
            }

            Assert.False(await IsLiveAsync(user, PhoneGrainTests.SessionOf(first.Tokens!.Access)));
        }
    }

    [Fact]
    public async Task Sessions_are_bounded_and_the_least_recently_used_is_evicted()
    {
        var user = fixture.Grains.GetGrain<IUserGrain>(Guid.NewGuid());
        var sessions = new List<string>();
        for (var i = 0; i < 21; i++)
        {
            var signIn = await user.SignInAsync(TestSettings.NewPhone(), Device($"device-{i}"));
            sessions.Add(PhoneGrainTests.SessionOf(signIn.Tokens!.Access));
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var listed = await user.GetSessionsAsync(sessions[^1]);

        Assert.Equal(20, listed.Sessions.Count);
        Assert.DoesNotContain("device-0", listed.Sessions.Select(s => s.DeviceId));
        Assert.False(await IsLiveAsync(user, sessions[0]));
        Assert.True(await IsLiveAsync(user, sessions[1]));
    }

    /// <summary>A session is live when the account answers for it, as it does for GET /me.</summary>
    private static async Task<bool> IsLiveAsync(IUserGrain user, string sessionId) =>
        (await user.GetProfileAsync(sessionId)).Status == AccountStatus.Ok;
}
