using Microsoft.Extensions.Logging;
using QrMahalla.Grains.Admin;

namespace QrMahalla.Grains.Accounts;

/// <summary>
/// The users read model: after each change to what staff search on, the account upserts its row, off the request on
/// user paths (retried with backoff while the grain lives) and before answering on staff paths.
/// </summary>
public sealed partial class UserGrain
{
    private IGrainTimer? indexRetry;
    private int indexFailures;

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (indexRetry is not null)
        {
            // Last chance for a pending read-model row; QrMahalla.Silo reindex repairs whatever is still missed.
            try
            {
                await IndexAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogIndexFailed(logger, e, indexFailures);
            }
        }
    }

    /// <summary>Upserts (or, for a tombstone, deletes) this user's read-model row; on failure, retries in the background.</summary>
    private async Task IndexNowAsync()
    {
        try
        {
            await IndexAsync(CancellationToken.None);
            indexRetry?.Dispose();
            indexRetry = null;
        }
        catch (Exception e)
        {
            metrics.ReadModelWriteFailed();
            LogIndexFailed(logger, e, 1);
            ScheduleIndex(TimeSpan.FromSeconds(1));
        }
    }

    private void ScheduleIndex(TimeSpan? due = null)
    {
        indexRetry ??= this.RegisterGrainTimer(IndexFromTimerAsync, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        indexRetry.Change(due ?? TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private async Task IndexFromTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await IndexAsync(cancellationToken);
            indexFailures = 0;
            indexRetry?.Dispose();
            indexRetry = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            indexFailures++;
            metrics.ReadModelWriteFailed();
            LogIndexFailed(logger, e, indexFailures);
            indexRetry?.Change(TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, indexFailures))), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Always the current state, not a snapshot: the last write wins, whatever order retries run in.</summary>
    private Task IndexAsync(CancellationToken cancellationToken) => State switch
    {
        { Deleted: true } => adminStore.DeleteUserAsync(Id, cancellationToken),
        { Registered: true } => adminStore.UpsertUserAsync(Row(), State.Revision, cancellationToken),
        _ => Task.CompletedTask,
    };

    private UserRow Row() => new(
        Id, State.Phone, State.FirstName, State.LastName, State.Role, State.IsActive, State.IsStaff, State.DateJoined, State.LegacyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Users read model upsert failed (attempt {Attempt}); retrying in the background")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, int attempt);
}
