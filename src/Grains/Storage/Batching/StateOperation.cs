using System.Diagnostics;

namespace QrMahalla.Grains.Storage.Batching;

/// <summary>
/// A grain state row's key, computed as Orleans' ADO.NET provider computes it (so both writers address the same rows):
/// a Guid key as the two little-endian halves of its bytes, an integer key in <see cref="N1"/>, anything else as the
/// string; a key extension in <see cref="KeyString"/>, empty when there is none.
/// </summary>
public readonly record struct StateKey(string StateName, long N0, long N1, string KeyString)
{
    public static StateKey For(string stateName, GrainId grainId)
    {
        if (grainId.TryGetGuidKey(out var guid, out var extension))
        {
            Span<byte> bytes = stackalloc byte[16];
            guid.TryWriteBytes(bytes);
            return new(stateName, BitConverter.ToInt64(bytes), BitConverter.ToInt64(bytes[8..]), extension ?? "");
        }

        if (grainId.TryGetIntegerKey(out var integer, out extension))
        {
            return new(stateName, 0, integer, extension ?? "");
        }

        return new(stateName, 0, 0, grainId.Key.ToString()!);
    }
}

public enum StateOperationKind
{
    Read,
    Write,
    Delete,
}

/// <summary>
/// One grain's read, write or delete, waiting for a batch. The engine sets the outcome inside the batch's transaction;
/// the caller sees it only after the transaction committed (<see cref="Completion"/>).
/// </summary>
public sealed class StateOperation(StateOperationKind kind, StateKey key, int? expectedVersion = null, byte[]? payload = null)
{
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StateOperationKind Kind => kind;

    public StateKey Key => key;

    /// <summary>The version the caller read (its ETag); null when it holds none.</summary>
    public int? ExpectedVersion => expectedVersion;

    /// <summary>What a write stores.</summary>
    public byte[]? Payload => payload;

    public long EnqueuedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Read: a row exists. Write and delete: the row was at the expected version and changed.</summary>
    public bool Matched { get; set; }

    /// <summary>Read: the stored version. Write: the new version.</summary>
    public int? Version { get; set; }

    /// <summary>Read: the stored payload (null for a cleared row).</summary>
    public byte[]? Stored { get; set; }

    public Task Completion => done.Task;

    public void Reset()
    {
        Matched = false;
        Version = null;
        Stored = null;
    }

    public void Complete() => done.TrySetResult();

    public void Fail(Exception exception) => done.TrySetException(exception);
}

/// <summary>One database's way of running a batch of state operations in one round trip and one transaction.</summary>
public abstract class StateBatchEngine : IAsyncDisposable
{
    /// <summary>Runs every operation of the batch in one transaction, sets each outcome, and returns after the commit.</summary>
    public abstract Task RunAsync(IReadOnlyList<StateOperation> batch, CancellationToken cancellationToken);

    /// <summary>
    /// True when the failure is the database's or the connection's, not one row's: running the rows one by one would
    /// only fail them all again, slowly. The batch is then retried once on a new connection, then failed as a whole.
    /// </summary>
    public abstract bool FailsEveryRow(Exception exception);

    /// <summary>Drops the connection, so the next batch opens a new one.</summary>
    public abstract ValueTask ResetAsync();

    public abstract ValueTask DisposeAsync();
}
