using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Storage;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Storage.Batching;

namespace QrMahalla.Storage.Tests;

/// <summary>The group-commit writer when a durable PostgreSQL (fsync and synchronous_commit on) crashes under load.</summary>
public sealed class DatabaseCrashTests
{
    [Fact]
    public async Task A_database_crash_under_load_answers_every_caller_and_loses_no_acknowledged_write()
    {
        await using var server = await DurablePostgres.StartAsync();
        SchemaInstaller.ApplyTo(StorageProvider.PostgreSql, server.ConnectionString, "Storage:ConnectionString");
        var options = new StorageBatchOptions { CommandTimeout = TimeSpan.FromSeconds(5) };
        const int Grains = 32;
        var ids = Enumerable.Range(0, Grains).Select(g => GrainId.Create("qrm-test-phone", $"crash-{g}")).ToList();
        var acknowledged = new int[Grains];
        var afterRestart = new int[Grains];
        var failures = 0;
        var crashing = false;
        var beforeCrash = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();

        await using (var storage = NewStorage(server, options))
        {
            var writers = ids.Select((id, g) => Task.Run(async () =>
            {
                var state = new GrainState<Counter>(new Counter());
                for (var n = 1; !stop.IsCancellationRequested; n++)
                {
                    state.State!.Value = n;
                    try
                    {
                        await storage.WriteStateAsync("crash", id, state).WaitAsync(TimeSpan.FromSeconds(30));
                        acknowledged[g] = n;
                        afterRestart[g] += restarted.Task.IsCompleted ? 1 : 0;
                    }
                    catch (Exception e) when (e is not TimeoutException)
                    {
                        // As a grain would after a failed write: wait for the database, then read the row again.
                        Interlocked.Increment(ref failures);
                        if (Volatile.Read(ref crashing))
                        {
                            await restarted.Task;
                        }
                        else
                        {
                            beforeCrash.Enqueue($"{e.GetType().Name}: {e.Message}");
                        }

                        try
                        {
                            await storage.ReadStateAsync("crash", id, state).WaitAsync(TimeSpan.FromSeconds(30));
                        }
                        catch (Exception again) when (again is not TimeoutException)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                }
            })).ToList();

            await Eventually.ReturnsAsync(() => Task.FromResult(acknowledged.Sum()), sum => sum >= Grains * 20, "writes before the crash", TimeSpan.FromSeconds(60));
            Assert.True(beforeCrash.IsEmpty, $"a healthy database failed writes: {string.Join("; ", beforeCrash.Take(3))}");
            Volatile.Write(ref crashing, true);
            await server.CrashAndRestartAsync();
            restarted.SetResult();
            await Eventually.ReturnsAsync(() => Task.FromResult(afterRestart.Min()), least => least >= 3, "every writer to write again after the restart", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        }

        await using var reader = NewStorage(server, options);
        for (var g = 0; g < Grains; g++)
        {
            var read = new GrainState<Counter>();
            await reader.ReadStateAsync("crash", ids[g], read);
            Assert.True(read.State!.Value >= acknowledged[g], $"row {g}: stored {read.State.Value}, acknowledged {acknowledged[g]}");
        }
    }

    private static BatchedGrainStorage NewStorage(DurablePostgres server, StorageBatchOptions options) =>
        new("crash-test", options, [new PostgresStateBatch(server.ConnectionString, "svc", options)], new JsonGrainStateSerializer(),
            null, NullLogger<BatchedGrainStorage>.Instance);

    public sealed class Counter
    {
        public int Value { get; set; }
    }
}
