using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Storage;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Storage.Batching;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Cluster.Tests;

/// <summary>The group-commit writer on a real SQLite file (WAL, synchronous=FULL).</summary>
[Collection(ClusterCollection.Name)]
public sealed class SqliteGroupCommitTests(ClusterFixture fixture) : GroupCommitContract(fixture)
{
    protected override Task PoisonInsertsAsync()
    {
        using var connection = new SqliteConnection($"Data Source={Fixture.DatabasePath};Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TRIGGER IF NOT EXISTS qrm_test_poison BEFORE INSERT ON QrmGrainState
            WHEN NEW.KeyString LIKE 'poison%'
            BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;
            """;
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_what_it_accepted_still_commits()
    {
        var path = Path.Combine(TestSettings.NewTempFolder("queue"), "grains.db");
        var connectionString = $"Data Source={path}";
        SchemaInstaller.ApplyTo(StorageProvider.Sqlite, connectionString, "Storage:ConnectionString");
        var options = new StorageBatchOptions { MaxSize = 1, QueueLimit = 2, CommandTimeout = TimeSpan.FromSeconds(60) };
        await using var storage = new BatchedGrainStorage("queue-test", options, [new SqliteStateBatch(connectionString, "svc", options)],
            new JsonGrainStateSerializer(), null, NullLogger<BatchedGrainStorage>.Instance);

        // Another writer holds the database: the first batch waits for it, and two more operations fill the queue.
        await using var blocker = new SqliteConnection(connectionString);
        blocker.Open();
        var hold = blocker.BeginTransaction(deferred: false);
        var accepted = Enumerable.Range(0, 3).Select(i => (Id: GrainId.Create("qrm-test-phone", $"queued-{i}"), State: new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() }))).ToList();
        var writes = new List<Task> { storage.WriteStateAsync("binding", accepted[0].Id, accepted[0].State) };
        await Eventually.ReturnsAsync(() => Task.FromResult(storage.QueueDepth), depth => depth == 0, "the first batch to start");
        writes.AddRange(accepted.Skip(1).Select(a => storage.WriteStateAsync("binding", a.Id, a.State)));
        Assert.Equal(2, storage.QueueDepth);

        var refused = storage.WriteStateAsync("binding", GrainId.Create("qrm-test-phone", "refused"), new GrainState<PhoneBindingState>(new PhoneBindingState()));

        Assert.True(refused.IsFaulted, "a write past the queue's bound must fail at once, not wait");
        Assert.IsType<StorageBusyException>(refused.Exception!.InnerException);
        Assert.All(writes, w => Assert.False(w.IsCompleted));

        hold.Commit();
        await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var (id, state) in accepted)
        {
            var read = new GrainState<PhoneBindingState>();
            await storage.ReadStateAsync("binding", id, read);
            Assert.Equal(state.State!.UserId, read.State!.UserId);
        }
    }
}
