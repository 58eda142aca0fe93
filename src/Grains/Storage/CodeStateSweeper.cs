using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Grains.Storage;

/// <summary>
/// Deletes phone code state whose every window (code lifetime, cooldown, hourly cap, lockout) has passed, so a phone
/// that never verified leaves no row behind. Bindings are another state and are never touched. Every silo sweeps;
/// the delete is idempotent, so overlapping sweeps cost nothing but a query.
/// </summary>
public sealed partial class CodeStateSweeper(
    IOptions<StorageOptions> storage,
    IOptions<OtpOptions> otp,
    IOptions<Orleans.Configuration.ClusterOptions> cluster,
    RuleClock clock,
    ILogger<CodeStateSweeper> logger) : BackgroundService
{
    /// <summary>Allowance for the silo's and the database's clocks disagreeing.</summary>
    public static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);

    public const string CodeStateName = "code";

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        var options = storage.Value;
        if (options.Provider == StorageProvider.Memory)
        {
            return 0;
        }

        var cutoff = clock.UtcNow - CodeRules.LongestWindow(otp.Value) - ClockMargin;
        await using var connection = await StorageDatabase.OpenAsync(options, cancellationToken);
        await using var command = await StorageDatabase.StoredCommandAsync(connection, "QrmSweepStateKey", cluster.Value.ServiceId, cancellationToken);
        StorageDatabase.AddParameter(command, "StateName", CodeStateName);
        StorageDatabase.AddParameter(command, "Cutoff", options.Provider switch
        {
            // SQLite keeps ModifiedAt as ISO-8601 text, which compares correctly as a string.
            StorageProvider.Sqlite => cutoff.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            StorageProvider.SqlServer => cutoff.UtcDateTime,
            _ => cutoff,
        });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(storage.Value.SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var swept = await SweepOnceAsync(stoppingToken);
                if (swept > 0)
                {
                    LogSwept(logger, swept);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Swept {Count} expired phone code states")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Code state sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
