using Microsoft.Extensions.DependencyInjection;
using QrMahalla.Grains.Admin;

namespace QrMahalla.Cluster.Tests;

/// <summary>The users read model: written by user grains after each change, retried on failure, rebuilt by reindex.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadModelTests(ClusterFixture fixture)
{
    private IAdminStore Store => fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<IAdminStore>();

    [Fact]
    public async Task A_user_appears_after_its_first_login_and_profile_changes_follow()
    {
        var phone = TestSettings.NewPhone();
        var login = await LoginAsync(phone);

        var row = await RowAsync(phone, r => r is not null);
        Assert.Equal((login.Id, "user", true), (row!.Id, row.Role, row.IsActive));

        var sid = PhoneGrainTests.SessionOf(login.Access);
        await fixture.Grains.GetGrain<IUserGrain>(login.Id).UpdateProfileAsync(sid, new ProfileUpdate("Nodira", "Rahimova", null, null));
        await RowAsync(phone, r => r?.FirstName == "Nodira" && r.LastName == "Rahimova");
    }

    [Fact]
    public async Task A_failed_upsert_does_not_fail_the_login_and_is_retried_until_it_lands()
    {
        var phone = TestSettings.NewPhone();
        using var failures = new FailureCounter();
        Execute("ALTER TABLE QrmUser RENAME TO QrmUserAway");
        try
        {
            await LoginAsync(phone);
            await Eventually.ReturnsAsync(() => Task.FromResult(failures.Count), n => n > 0, "a failed read-model write");
        }
        finally
        {
            Execute("ALTER TABLE QrmUserAway RENAME TO QrmUser");
        }

        await RowAsync(phone, r => r is not null);
    }

    [Fact]
    public async Task Reindex_rebuilds_the_read_model_from_grain_storage()
    {
        var kept = TestSettings.NewPhone();
        var gone = TestSettings.NewPhone();
        var keptLogin = await LoginAsync(kept);
        var goneLogin = await LoginAsync(gone);
        await fixture.Grains.GetGrain<IUserGrain>(goneLogin.Id).DeleteAccountAsync(PhoneGrainTests.SessionOf(goneLogin.Access), new ClientInfo("127.0.0.1", null));
        await RowAsync(kept, r => r is not null);
        await RowAsync(gone, r => r is null);
        Execute("DELETE FROM QrmUser");
        await Store.UpsertUserAsync(new UserRow(goneLogin.Id, gone, "", "", "user", true, false, DateTimeOffset.UtcNow, null), 0);

        var result = await fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<UserReindexer>().RunAsync();

        Assert.True(result.Upserted >= 1 && result.Deleted >= 1);
        var row = await SearchAsync(kept);
        Assert.Equal((keptLogin.Id, kept), (row!.Id, row.Phone));
        Assert.Null(await SearchAsync(gone));
    }

    private async Task<(Guid Id, string Access)> LoginAsync(string phone)
    {
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(new ClientInfo("127.0.0.1", "tests"));
        var login = await grain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), new DeviceInfo("d", "Test phone", null, null));
        Assert.Equal(VerifyStatus.Success, login.Status);
        return (login.User!.Id, login.Tokens!.Access);
    }

    private async Task<UserRow?> SearchAsync(string phone) =>
        (await Store.SearchUsersAsync(new UserQuery(phone, null, 5))).Items.SingleOrDefault();

    private Task<UserRow?> RowAsync(string phone, Func<UserRow?, bool> done) =>
        Eventually.ReturnsAsync(() => SearchAsync(phone), done, $"the read-model row of {phone}", TimeSpan.FromSeconds(20));

    /// <summary>Counts <c>qrm.read_model.failures</c> from every silo of the in-process cluster.</summary>
    private sealed class FailureCounter : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener listener = new();
        private long count;

        public FailureCounter()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == QrMahalla.Grains.Telemetry.QrMahallaMetrics.MeterName && instrument.Name == "qrm.read_model.failures")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref count, value));
            listener.Start();
        }

        public long Count => Interlocked.Read(ref count);

        public void Dispose() => listener.Dispose();
    }

    private void Execute(string sql) => StorageRows.Execute(fixture.DatabasePath, sql);
}
