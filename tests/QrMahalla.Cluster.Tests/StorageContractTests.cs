using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using QrMahalla.Grains.Accounts;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Cluster.Tests;

/// <summary>The project's SQLite scripts against the Orleans ADO.NET provider, through the silo's real storage.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StorageContractTests(ClusterFixture fixture)
{
    /// <summary>The silo's storage through one writer; both write the same rows of the same database.</summary>
    private IGrainStorage Writer(StorageWriter writer) =>
        fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterFixture.WriterStorage(writer));

    private static GrainId PhoneId(string phone) => GrainId.Create("qrm-test-phone", phone);

    [Theory]
    [InlineData(StorageWriter.Batched)]
    [InlineData(StorageWriter.AdoNet)]
    public async Task Every_state_type_round_trips_with_its_collections(StorageWriter writer)
    {
        var storage = Writer(writer);
        var now = DateTimeOffset.UtcNow;
        var code = new PhoneCodeState
        {
            CodeHash = [1, 2, 3, 250],
            ExpiresAt = now.AddMinutes(2),
            WrongAttempts = 3,
            Dead = true,
            LastSentAt = now,
            SendTimes = [now.AddMinutes(-10), now],
            DeadCodeTimes = [now.AddMinutes(-5)],
            LockedUntil = now.AddHours(1),
        };
        var binding = new PhoneBindingState { UserId = Guid.NewGuid(), BoundAt = now };
        var user = new UserState
        {
            Registered = true, Phone = "+998901234567", FirstName = "Ali", LastName = "Valiyev", PassportId = "AA1234567",
            Address = "Toshkent", IsVerified = true, DateJoined = now,
            Sessions = new()
            {
                ["d1"] = new SessionState
                {
                    SessionId = "s1", DeviceId = "d1", DeviceName = "Pixel", Ip = "10.0.0.1", UserAgent = "ua",
                    CreatedAt = now, LastSeenAt = now, RefreshTokenId = "j1",
                },
            },
        };

        var key = TestSettings.NewPhone();
        Assert.Equivalent(code, await RoundTripAsync(storage, "code", PhoneId(key), code));
        Assert.Equivalent(binding, await RoundTripAsync(storage, "binding", PhoneId(key), binding));
        Assert.Equivalent(user, await RoundTripAsync(storage, "user", GrainId.Create("qrm-test-user", Guid.NewGuid().ToString("N")), user));
    }

    [Theory]
    [InlineData(StorageWriter.Batched)]
    [InlineData(StorageWriter.AdoNet)]
    public async Task A_stale_version_is_refused(StorageWriter writer)
    {
        var storage = Writer(writer);
        var id = PhoneId(TestSettings.NewPhone());
        var first = new GrainState<PhoneBindingState>(new PhoneBindingState());
        await storage.WriteStateAsync("binding", id, first);
        var stale = new GrainState<PhoneBindingState>(new PhoneBindingState()) { ETag = first.ETag };
        await storage.WriteStateAsync("binding", id, first);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("binding", id, stale));
        var fresh = new GrainState<PhoneBindingState>(new PhoneBindingState());
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("binding", id, fresh));
    }

    [Theory]
    [InlineData(StorageWriter.Batched)]
    [InlineData(StorageWriter.AdoNet)]
    public async Task Clearing_deletes_the_row(StorageWriter writer)
    {
        var storage = Writer(writer);
        var phone = TestSettings.NewPhone();
        var id = PhoneId(phone);
        var state = new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() });
        await storage.WriteStateAsync("binding", id, state);
        Assert.Equal(1, StorageRows.Count(fixture.DatabasePath, "binding", phone));

        await storage.ClearStateAsync("binding", id, state);

        Assert.Equal(0, StorageRows.Count(fixture.DatabasePath, "binding", phone));
        Assert.Null(state.ETag);
        await storage.ClearStateAsync("binding", id, state);
        await storage.WriteStateAsync("binding", id, state);
        Assert.Equal(1, StorageRows.Count(fixture.DatabasePath, "binding", phone));
    }

    private static async Task<T> RoundTripAsync<T>(IGrainStorage storage, string stateName, GrainId id, T value) where T : class, new()
    {
        await storage.WriteStateAsync(stateName, id, new GrainState<T>(value));
        var read = new GrainState<T>();
        await storage.ReadStateAsync(stateName, id, read);
        Assert.True(read.RecordExists);
        Assert.Equal("1", read.ETag);
        return read.State!;
    }
}
