using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace QrMahalla.Grains.Storage.Batching;

/// <summary>
/// The lanes: each takes what has queued (bounded, never a row already in a running batch), runs it as one batch on
/// its own connection, and answers every caller after the commit; a failed batch is retried once, then run one by one.
/// </summary>
public sealed partial class BatchedGrainStorage
{
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A storage batch of {Count} operations failed ({Fault}); running them one by one")]
    private static partial void LogBatchFallback(ILogger logger, int count, string fault);

    [LoggerMessage(Level = LogLevel.Error, Message = "A storage batch of {Count} operations failed; each caller gets the fault")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
