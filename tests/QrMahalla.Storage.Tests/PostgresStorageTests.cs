using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using QrMahalla.Grains.Accounts;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Rules;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Storage.Tests;

/// <summary>The project's PostgreSQL scripts against the Orleans ADO.NET provider, on a real server.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresStorageTests(PostgresClusterFixture fixture)
{
    private static readonly ClientInfo Client = new("127.0.0.1", "tests");
    private static readonly DeviceInfo Device = new("device-1", "Test phone", "127.0.0.1", "tests");

    /// <summary>The silo's storage through one writer; both write the same rows of the same database.</summary>
    private IGrainStorage Writer(StorageWriter writer) =>
        fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterFixture.WriterStorage(writer));

    private Task<long> RowsAsync(string stateName, string key) => PostgresServer.ScalarAsync(fixture.ConnectionString,
        "SELECT COUNT(*) FROM qrm_grain_state WHERE state_name = @s AND key_string = @k", ("s", stateName), ("k", key));

    [Theory]
    [InlineData(StorageWriter.Batched)]
    [InlineData(StorageWriter.AdoNet)]
    public async Task Every_state_type_round_trips_with_its_collections(StorageWriter writer)
    {
        var storage = Writer(writer);
        var now = DateTimeOffset.UtcNow;
        var code = new PhoneCodeState
        {
            CodeHash = [9, 8, 7], ExpiresAt = now, WrongAttempts = 2, Dead = true, LastSentAt = now,
            SendTimes = [now.AddMinutes(-3), now], DeadCodeTimes = [now], LockedUntil = now.AddHours(1),
        };
        var binding = new PhoneBindingState { UserId = Guid.NewGuid(), BoundAt = now, ConsumedCodeHash = [1, 2] };
        var user = new UserState
        {
            Registered = true, Phone = "+998901234567", FirstName = "Ali", IsVerified = true, DateJoined = now,
            Sessions = new() { ["d"] = new SessionState { SessionId = "s", DeviceId = "d", CreatedAt = now, LastSeenAt = now, RefreshTokenId = "j" } },
        };
        var phone = GrainId.Create("qrm-test-phone", TestSettings.NewPhone());

        Assert.Equivalent(code, await RoundTripAsync(storage, "code", phone, code));
        Assert.Equivalent(binding, await RoundTripAsync(storage, "binding", phone, binding));
        Assert.Equivalent(user, await RoundTripAsync(storage, "user", GrainId.Create("qrm-test-user", Guid.NewGuid().ToString("N")), user));
    }

    [Theory]
    [InlineData(StorageWriter.Batched)]
    [InlineData(StorageWriter.AdoNet)]
    public async Task Versions_conflict_and_clearing_deletes_the_row(StorageWriter writer)
    {
        var storage = Writer(writer);
        var key = TestSettings.NewPhone();
        var id = GrainId.Create("qrm-test-phone", key);
        var state = new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() });
        await storage.WriteStateAsync("binding", id, state);
        var stale = new GrainState<PhoneBindingState>(new PhoneBindingState()) { ETag = state.ETag };
        await storage.WriteStateAsync("binding", id, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("binding", id, stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("binding", id, new GrainState<PhoneBindingState>(new())));
        Assert.Equal("2", state.ETag);

        await storage.ClearStateAsync("binding", id, state);
        Assert.Equal(0, await RowsAsync("binding", key));
        await storage.ClearStateAsync("binding", id, state);
    }

    [Fact]
    public async Task A_login_on_postgres_creates_the_user_only_after_the_code()
    {
        var phone = TestSettings.NewPhone();
        var grain = fixture.Grains.GetGrain<IPhoneGrain>(phone);
        await grain.RequestCodeAsync(Client);
        Assert.Equal(0, await RowsAsync("binding", phone));

        var login = await grain.VerifyAsync(fixture.Outbox.LatestCodeFor(phone), Device);

        Assert.Equal(VerifyStatus.Success, login.Status);
        Assert.Equal(1, await RowsAsync("binding", phone));
        Assert.Equal(1, await PostgresServer.ScalarAsync(fixture.ConnectionString,
            "SELECT COUNT(*) FROM qrm_grain_state WHERE state_name = 'user' AND payload IS NOT NULL AND convert_from(payload, 'UTF8') LIKE @p",
            ("p", $"%{phone}%")));
    }

    [Fact]
    public async Task Code_state_is_swept_once_its_windows_pass_and_bindings_stay()
    {
        var unverified = TestSettings.NewPhone();
        var verified = TestSettings.NewPhone();
        await fixture.Grains.GetGrain<IPhoneGrain>(unverified).RequestCodeAsync(Client);
        var verifiedGrain = fixture.Grains.GetGrain<IPhoneGrain>(verified);
        await verifiedGrain.RequestCodeAsync(Client);
        await verifiedGrain.VerifyAsync(fixture.Outbox.LatestCodeFor(verified), Device);
        var sweeper = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<CodeStateSweeper>();

        await sweeper.SweepOnceAsync();
        Assert.Equal(1, await RowsAsync("code", unverified));

        fixture.Time.Advance(CodeRules.LongestWindow(new OtpOptions()) + CodeStateSweeper.ClockMargin + TimeSpan.FromMinutes(1));
        var swept = await sweeper.SweepOnceAsync();

        Assert.True(swept >= 2);
        Assert.Equal(0, await RowsAsync("code", unverified));
        Assert.Equal(0, await RowsAsync("code", verified));
        Assert.Equal(1, await RowsAsync("binding", verified));
        Assert.Equal(0, await RowsAsync("binding", unverified));

        // The still-active grain whose row was swept writes its state anew.
        var again = await fixture.Grains.GetGrain<IPhoneGrain>(unverified).RequestCodeAsync(Client);
        Assert.Equal(SendCodeStatus.Sent, again.Status);
        Assert.Equal(1, await RowsAsync("code", unverified));
    }

    [Fact]
    public async Task Applying_the_schema_again_and_from_several_silos_at_once_is_harmless()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("schema");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            SchemaInstaller.ApplyTo(StorageProvider.PostgreSql, connectionString, "Storage:ConnectionString"))));
        SchemaInstaller.ApplyTo(StorageProvider.PostgreSql, connectionString, "Storage:ConnectionString");

        Assert.Equal(
            SchemaKeys.PostgresCount,
            await PostgresServer.ScalarAsync(connectionString, "SELECT COUNT(*) FROM OrleansQuery"));
    }

    [Fact]
    public void An_unreachable_database_stops_start_up_with_a_sentence_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SchemaInstaller.ApplyTo(
            StorageProvider.PostgreSql, "Host=127.0.0.1;Port=1;Username=nobody;Timeout=3", "Storage:ConnectionString"));

        Assert.StartsWith("Storage:ConnectionString does not reach a usable PostgreSql database", error.Message);
    }

    private static async Task<T> RoundTripAsync<T>(IGrainStorage storage, string stateName, GrainId id, T value) where T : class, new()
    {
        await storage.WriteStateAsync(stateName, id, new GrainState<T>(value));
        var read = new GrainState<T>();
        await storage.ReadStateAsync(stateName, id, read);
        Assert.True(read.RecordExists);
        return read.State!;
    }
}
