using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Storage;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Grains.Storage.Batching;

/// <summary>
/// Group-commit grain storage: the state reads, writes and deletes of many grains share one round trip and one
/// transaction. Up to <see cref="StorageOptions.EffectiveInFlight"/> batches are in the database at once, each on its
/// own connection; while they are, new operations queue, and the next free one takes what queued (at most
/// <see cref="StorageBatchOptions.MaxSize"/>), so a lone operation never waits for a timer. A row is in one batch at a
/// time: an operation on a row that a running batch holds waits for it. Each caller keeps Orleans' per-grain semantics: a write carries the version it read, a mismatch fails only that caller with
/// <see cref="InconsistentStateException"/>, and nobody is answered before the batch committed. A full queue fails the
/// call at once with <see cref="StorageBusyException"/>.
/// </summary>
public sealed partial class BatchedGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly string name;
    private readonly StorageBatchOptions options;
    private readonly StateBatchEngine[] engines;
    private readonly IGrainStorageSerializer serializer;
    private readonly QrMahallaMetrics? metrics;
    private readonly ILogger logger;
    private readonly Channel<StateOperation> queue;
    private readonly Lock gate = new();
    private readonly Queue<StateOperation> deferred = new(); // under gate
    private readonly HashSet<StateKey> inFlight = []; // under gate: the rows of the running batches
    private readonly CancellationTokenSource abort = new();
    private readonly Task loop;
    private int disposed;

    public BatchedGrainStorage(
        string name, StorageBatchOptions options, IReadOnlyList<StateBatchEngine> engines, IGrainStorageSerializer serializer,
        QrMahallaMetrics? metrics, ILogger<BatchedGrainStorage> logger)
    {
        ArgumentOutOfRangeException.ThrowIfZero(engines.Count);
        this.name = name;
        this.options = options;
        this.engines = [.. engines];
        this.serializer = serializer;
        this.metrics = metrics;
        this.logger = logger;
        queue = Channel.CreateBounded<StateOperation>(new BoundedChannelOptions(options.QueueLimit)
        {
            SingleReader = engines.Count == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        metrics?.ObserveStorageQueue(() => QueueDepth);
        loop = Task.WhenAll(this.engines.Select(engine => Task.Run(() => RunLaneAsync(engine))));
    }

    /// <summary>The silo's group-commit storage for the configured engine, with the same serializer as the ADO.NET writer.</summary>
    public static BatchedGrainStorage Create(IServiceProvider services, string name, StorageOptions storage)
    {
        var serviceId = services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
        var engines = Enumerable.Range(0, storage.EffectiveInFlight).Select(_ => storage.Provider switch
        {
            StorageProvider.Sqlite => (StateBatchEngine)new SqliteStateBatch(storage.ConnectionString, serviceId, storage.Batch),
            StorageProvider.PostgreSql => new PostgresStateBatch(storage.ConnectionString, serviceId, storage.Batch),
            _ => throw new InvalidOperationException($"Storage:Writer 'Batched' is not available on {storage.Provider}; use AdoNet."),
        }).ToArray();
        return new BatchedGrainStorage(name, storage.Batch, engines, new JsonGrainStateSerializer(),
            services.GetService<QrMahallaMetrics>(), services.GetRequiredService<ILogger<BatchedGrainStorage>>());
    }

    /// <summary>Operations waiting for a batch (not those in the batches the database is running).</summary>
    public int QueueDepth
    {
        get
        {
            lock (gate)
            {
                return queue.Reader.Count + deferred.Count;
            }
        }
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var read = await SubmitAsync(new StateOperation(StateOperationKind.Read, StateKey.For(stateName, grainId)));
        if (read.Matched && read.Stored is { } payload)
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(payload));
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.RecordExists = false;
        }

        grainState.ETag = read.Matched ? read.Version?.ToString(CultureInfo.InvariantCulture) : null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = serializer.Serialize(grainState.State).ToArray();
        var write = await SubmitAsync(new StateOperation(StateOperationKind.Write, StateKey.For(stateName, grainId), Version(grainState.ETag), payload));
        if (!write.Matched)
        {
            throw Conflict("write", stateName, grainState.ETag);
        }

        grainState.ETag = write.Version!.Value.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <summary>Deletes the row (the project runs with delete-on-clear), at the version the caller holds.</summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!grainState.RecordExists && string.IsNullOrWhiteSpace(grainState.ETag))
        {
            await ReadStateAsync(stateName, grainId, grainState);
            if (!grainState.RecordExists)
            {
                return;
            }
        }

        var delete = await SubmitAsync(new StateOperation(StateOperationKind.Delete, StateKey.For(stateName, grainId), Version(grainState.ETag)));
        if (!delete.Matched)
        {
            throw Conflict("clear", stateName, grainState.ETag);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        grainState.State = Activator.CreateInstance<T>();
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(BatchedGrainStorage)}-{name}", ServiceLifecycleStage.ApplicationServices, _ => Task.CompletedTask, StopAsync);

    /// <summary>Takes no new operations, and finishes those already queued (grains write their state as they deactivate).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Writer.TryComplete();
        try
        {
            await loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await abort.CancelAsync();
        }
    }

    /// <summary>Idempotent: the container disposes the storage once for each registration it holds it under.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        queue.Writer.TryComplete();
        await abort.CancelAsync();
        await loop.ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var engine in engines)
        {
            await engine.DisposeAsync();
        }
    }

    private async Task<StateOperation> SubmitAsync(StateOperation operation)
    {
        if (!queue.Writer.TryWrite(operation))
        {
            metrics?.StorageRejected();
            throw new StorageBusyException();
        }

        await operation.Completion;
        return operation;
    }

    /// <summary>
    /// One connection's loop: takes a batch, runs it, releases its rows, and takes the next. A lane that finds only
    /// operations on rows other lanes hold leaves them deferred: the lane holding the row takes them when it is done.
    /// </summary>
    private async Task RunLaneAsync(StateBatchEngine engine)
    {
        var batch = new List<StateOperation>(options.MaxSize);
        while (true)
        {
            batch.Clear();
            lock (gate)
            {
                Take(batch);
            }

            if (batch.Count == 0)
            {
                if (await queue.Reader.WaitToReadAsync())
                {
                    continue;
                }

                return;
            }

            var started = Stopwatch.GetTimestamp();
            await ExecuteAsync(engine, batch);
            lock (gate)
            {
                foreach (var operation in batch)
                {
                    inFlight.Remove(operation.Key);
                }
            }

            metrics?.StorageBatch(batch.Count, Stopwatch.GetElapsedTime(started), Stopwatch.GetElapsedTime(batch[0].EnqueuedAt, started));
        }
    }

    /// <summary>
    /// Fills the batch: operations deferred earlier first, then the queue. A row is in one running batch at most, so
    /// two activations of a grain never race inside one statement or across connections; an operation on a row that
    /// is held waits, in order, for a later batch.
    /// </summary>
    private void Take(List<StateOperation> batch)
    {
        for (var i = deferred.Count; i > 0 && batch.Count < options.MaxSize; i--)
        {
            var operation = deferred.Dequeue();
            if (inFlight.Add(operation.Key))
            {
                batch.Add(operation);
            }
            else
            {
                deferred.Enqueue(operation);
            }
        }

        while (batch.Count < options.MaxSize && queue.Reader.TryRead(out var next))
        {
            if (inFlight.Add(next.Key))
            {
                batch.Add(next);
            }
            else
            {
                deferred.Enqueue(next);
            }
        }
    }

    private async Task ExecuteAsync(StateBatchEngine engine, List<StateOperation> batch)
    {
        try
        {
            await RunWithOneRetryAsync(engine, batch);
            foreach (var operation in batch)
            {
                operation.Complete();
            }
        }
        catch (Exception e) when (batch.Count > 1 && !FailsEveryRow(engine, e))
        {
            // One row broke the transaction: run the rows one by one so it fails alone.
            LogBatchFallback(logger, batch.Count, e.GetType().Name);
            await RunOneByOneAsync(engine, batch);
        }
        catch (Exception e)
        {
            LogBatchFailed(logger, batch.Count, e);
            foreach (var operation in batch)
            {
                operation.Fail(e);
            }
        }
    }

    /// <summary>
    /// A connection that broke is replaced and the batch run once more. That is safe because every write and delete
    /// names the version it expects: if the lost attempt did commit, the retry changes nothing and reports a conflict,
    /// never a second write; an acknowledged write is never lost either way.
    /// </summary>
    private async Task RunWithOneRetryAsync(StateBatchEngine engine, List<StateOperation> batch)
    {
        try
        {
            await engine.RunAsync(batch, abort.Token);
        }
        catch (Exception e) when (FailsEveryRow(engine, e) && !abort.IsCancellationRequested)
        {
            await engine.ResetAsync();
            foreach (var operation in batch)
            {
                operation.Reset();
            }

            await engine.RunAsync(batch, abort.Token);
        }
    }

    private async Task RunOneByOneAsync(StateBatchEngine engine, List<StateOperation> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var operation = batch[i];
            operation.Reset();
            try
            {
                await engine.RunAsync([operation], abort.Token);
                operation.Complete();
            }
            catch (Exception e)
            {
                operation.Fail(e);
                if (FailsEveryRow(engine, e))
                {
                    await engine.ResetAsync();
                    foreach (var rest in batch.Skip(i + 1))
                    {
                        rest.Fail(e);
                    }

                    return;
                }
            }
        }
    }

    private static bool FailsEveryRow(StateBatchEngine engine, Exception exception) =>
        exception is OperationCanceledException || engine.FailsEveryRow(exception);

    private static int? Version(string? etag) =>
        string.IsNullOrWhiteSpace(etag) ? null : int.Parse(etag, CultureInfo.InvariantCulture);

    // The grain id is left out on purpose: a phone grain's key is a phone number.
    private static InconsistentStateException Conflict(string operation, string stateName, string? etag) =>
        new($"Version conflict ({operation} of state '{stateName}' at version {etag ?? "none"}): another activation changed it first.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "A storage batch of {Count} operations failed ({Fault}); running them one by one")]
    private static partial void LogBatchFallback(ILogger logger, int count, string fault);

    [LoggerMessage(Level = LogLevel.Error, Message = "A storage batch of {Count} operations failed; each caller gets the fault")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
