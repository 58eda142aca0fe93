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

    private static int? Version(string? etag) =>
        string.IsNullOrWhiteSpace(etag) ? null : int.Parse(etag, CultureInfo.InvariantCulture);

    // The grain id is left out on purpose: a phone grain's key is a phone number.
    private static InconsistentStateException Conflict(string operation, string stateName, string? etag) =>
        new($"Version conflict ({operation} of state '{stateName}' at version {etag ?? "none"}): another activation changed it first.");
}
