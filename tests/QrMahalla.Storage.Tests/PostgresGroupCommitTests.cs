using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage.Batching;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Storage.Tests;

/// <summary>The group-commit writer on a real PostgreSQL server.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresGroupCommitTests(PostgresClusterFixture fixture) : GroupCommitContract(fixture)
{
    private PostgresClusterFixture Postgres => (PostgresClusterFixture)Fixture;

    protected override async Task PoisonInsertsAsync()
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            CREATE OR REPLACE FUNCTION qrm_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.key_string LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned row'; END IF;
                RETURN NEW;
            END $$;
            CREATE OR REPLACE TRIGGER qrm_test_poison BEFORE INSERT ON qrm_grain_state
                FOR EACH ROW EXECUTE FUNCTION qrm_test_poison();
            """, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Connections_killed_under_load_answer_every_caller_and_lose_no_acknowledged_write()
    {
        const int Grains = 48;
        var ids = Enumerable.Range(0, Grains).Select(_ => NewId("storm")).ToList();
        var acknowledged = new int[Grains];
        var failures = 0;
        using var stop = new CancellationTokenSource();

        // Each "grain" writes its counter again and again, as a grain does: re-reading its row after a failure.
        var writers = ids.Select((id, g) => Task.Run(async () =>
        {
            var storage = Batched(g % 2);
            var state = new GrainState<StormState>(new StormState());
            for (var n = 1; !stop.IsCancellationRequested || n <= 5; n++)
            {
                state.State!.Counter = n;
                try
                {
                    await storage.WriteStateAsync("storm", id, state).WaitAsync(TimeSpan.FromSeconds(30));
                    acknowledged[g] = n;
                }
                catch (Exception e) when (e is not TimeoutException)
                {
                    Interlocked.Increment(ref failures);
                    await storage.ReadStateAsync("storm", id, state).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        })).ToList();

        var terminated = 0L;
        for (var kill = 0; kill < 5; kill++)
        {
            // Writes acknowledged since the last kill prove the storages have connections again to be killed.
            var before = acknowledged.Sum();
            await Eventually.ReturnsAsync(() => Task.FromResult(acknowledged.Sum()), sum => sum >= before + Grains * 3, "writes between kills", TimeSpan.FromSeconds(30));
            terminated += await TerminateOtherBackendsAsync();
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        NpgsqlConnection.ClearAllPools();

        Assert.True(terminated >= 5, $"only {terminated} connections were killed");
        for (var g = 0; g < Grains; g++)
        {
            var read = new GrainState<StormState>();
            await Batched(1).ReadStateAsync("storm", ids[g], read);
            Assert.True(read.State!.Counter >= acknowledged[g], $"grain {g}: stored {read.State!.Counter} < acknowledged {acknowledged[g]}");
            Assert.True(acknowledged[g] >= 5);
        }
    }

    [Fact]
    public async Task A_row_held_in_the_database_holds_up_only_its_own_grain()
    {
        var options = new StorageBatchOptions { InFlight = 2 };
        await using var storage = new BatchedGrainStorage("lanes-test", options,
            [new PostgresStateBatch(Postgres.ConnectionString, "lanes-svc", options), new PostgresStateBatch(Postgres.ConnectionString, "lanes-svc", options)],
            new JsonGrainStateSerializer(), null, NullLogger<BatchedGrainStorage>.Instance);
        var held = NewId("held");
        var heldState = new GrainState<StormState>(new StormState { Counter = 1 });
        await storage.WriteStateAsync("lanes", held, heldState);

        // Another transaction locks the row: the grain's next write waits for it inside the database.
        await using var blocker = new NpgsqlConnection(Postgres.ConnectionString);
        await blocker.OpenAsync();
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand(
            "SELECT version FROM qrm_grain_state WHERE service_id = 'lanes-svc' AND state_name = 'lanes' AND key_string = @Key FOR UPDATE", blocker, hold))
        {
            lockRow.Parameters.AddWithValue("Key", held.Key.ToString()!);
            Assert.Equal(1, (int)(await lockRow.ExecuteScalarAsync())!);
        }

        heldState.State!.Counter = 2;
        var blockedWrite = storage.WriteStateAsync("lanes", held, heldState);
        await Eventually.ReturnsAsync(
            () => PostgresServer.ScalarAsync(Postgres.ConnectionString,
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"),
            waiting => waiting >= 1, "the write waiting for the row lock");

        // A second activation's read of the held row queues behind the write; another grain's write goes past both.
        var heldRead = new GrainState<StormState>();
        var readBehind = storage.ReadStateAsync("lanes", held, heldRead);
        var other = NewId("other");
        await storage.WriteStateAsync("lanes", other, new GrainState<StormState>(new StormState { Counter = 7 })).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(blockedWrite.IsCompleted, "the write of the held row finished while its row was locked");
        Assert.False(readBehind.IsCompleted, "a read of the held row ran beside the write of that row");

        await hold.RollbackAsync();
        await blockedWrite.WaitAsync(TimeSpan.FromSeconds(30));
        await readBehind.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("2", heldState.ETag);
        Assert.Equal("2", heldRead.ETag);
        Assert.Equal(2, heldRead.State!.Counter);
    }

    private async Task<long> TerminateOtherBackendsAsync()
    {
        // Unpooled: a pooled connection may be one that the previous round killed.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Postgres.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public sealed class StormState
    {
        public int Counter { get; set; }
    }
}
