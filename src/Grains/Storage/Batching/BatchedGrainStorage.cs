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
/// transaction. While a batch is in the database, new operations queue; the next batch takes what queued (at most
/// <see cref="StorageBatchOptions.MaxSize"/>), so a lone operation never waits for a timer. Each caller keeps Orleans'
/// per-grain semantics: a write carries the version it read, a mismatch fails only that caller with
/// <see cref="InconsistentStateException"/>, and nobody is answered before the batch committed. A full queue fails the
/// call at once with <see cref="StorageBusyException"/>.
/// </summary>
public sealed partial class BatchedGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly string name;
    private readonly StorageBatchOptions options;
    private readonly StateBatchEngine engine;
    private readonly IGrainStorageSerializer serializer;
    private readonly QrMahallaMetrics? metrics;
    private readonly ILogger logger;
    private readonly Channel<StateOperation> queue;
    private readonly Queue<StateOperation> deferred = new();
    private readonly CancellationTokenSource abort = new();
    private readonly Task loop;
    private int disposed;

    public BatchedGrainStorage(
        string name, StorageBatchOptions options, StateBatchEngine engine, IGrainStorageSerializer serializer,
        QrMahallaMetrics? metrics, ILogger<BatchedGrainStorage> logger)
    {
        this.name = name;
        this.options = options;
        this.engine = engine;
        this.serializer = serializer;
        this.metrics = metrics;
        this.logger = logger;
        queue = Channel.CreateBounded<StateOperation>(new BoundedChannelOptions(options.QueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        metrics?.ObserveStorageQueue(() => QueueDepth);
        loop = Task.Run(RunAsync);
    }

    /// <summary>The silo's group-commit storage for the configured engine, with the same serializer as the ADO.NET writer.</summary>
    public static BatchedGrainStorage Create(IServiceProvider services, string name, StorageOptions storage)
    {
        var serviceId = services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
        StateBatchEngine engine = storage.Provider switch
        {
            StorageProvider.Sqlite => new SqliteStateBatch(storage.ConnectionString, serviceId, storage.Batch),
            StorageProvider.PostgreSql => new PostgresStateBatch(storage.ConnectionString, serviceId, storage.Batch),
            _ => throw new InvalidOperationException($"Storage:Writer 'Batched' is not available on {storage.Provider}; use AdoNet."),
        };
        return new BatchedGrainStorage(name, storage.Batch, engine, new JsonGrainStateSerializer(),
            services.GetService<QrMahallaMetrics>(), services.GetRequiredService<ILogger<BatchedGrainStorage>>());
    }

    /// <summary>Operations waiting for a batch (not those in the batch the database is running).</summary>
    public int QueueDepth => queue.Reader.Count + deferred.Count;

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
        await engine.DisposeAsync();
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

    private async Task RunAsync()
    {
        var batch = new List<StateOperation>(options.MaxSize);
        var keys = new HashSet<StateKey>();
        while (deferred.Count > 0 || await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            keys.Clear();
            Take(batch, keys);
            if (batch.Count == 0)
            {
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            await ExecuteAsync(batch);
            metrics?.StorageBatch(batch.Count, Stopwatch.GetElapsedTime(started), Stopwatch.GetElapsedTime(batch[0].EnqueuedAt, started));
        }
    }

    /// <summary>
    /// Fills the batch: operations deferred from the last batch first, then the queue. One operation per row, so two
    /// activations of a grain never race inside one statement; a second one for the same row waits for the next batch.
    /// </summary>
    private void Take(List<StateOperation> batch, HashSet<StateKey> keys)
    {
        for (var i = deferred.Count; i > 0 && batch.Count < options.MaxSize; i--)
        {
            var operation = deferred.Dequeue();
            if (keys.Add(operation.Key))
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
            if (keys.Add(next.Key))
            {
                batch.Add(next);
            }
            else
            {
                deferred.Enqueue(next);
            }
        }
    }

    private async Task ExecuteAsync(List<StateOperation> batch)
    {
        try
        {
            await RunWithOneRetryAsync(batch);
            foreach (var operation in batch)
            {
                operation.Complete();
            }
        }
        catch (Exception e) when (batch.Count > 1 && !FailsEveryRow(e))
        {
            // One row broke the transaction: run the rows one by one so it fails alone.
            LogBatchFallback(logger, batch.Count, e.GetType().Name);
            await RunOneByOneAsync(batch);
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
    private async Task RunWithOneRetryAsync(List<StateOperation> batch)
    {
        try
        {
            await engine.RunAsync(batch, abort.Token);
        }
        catch (Exception e) when (FailsEveryRow(e) && !abort.IsCancellationRequested)
        {
            await engine.ResetAsync();
            foreach (var operation in batch)
            {
                operation.Reset();
            }

            await engine.RunAsync(batch, abort.Token);
        }
    }

    private async Task RunOneByOneAsync(List<StateOperation> batch)
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
                if (FailsEveryRow(e))
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

    private bool FailsEveryRow(Exception exception) => exception is OperationCanceledException || engine.FailsEveryRow(exception);

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
