using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace QrMahalla.Grains.Options;

public enum StorageProvider
{
    Sqlite,
    PostgreSql,
    SqlServer,
    Memory,
}

/// <summary>Which grain storage writes the state: the project's group commit, or Orleans' ADO.NET provider.</summary>
public enum StorageWriter
{
    /// <summary>Group commit: concurrent reads and writes of many grains share one round trip and one transaction.</summary>
    Batched,

    /// <summary>Orleans' ADO.NET provider: one statement and one commit per grain operation.</summary>
    AdoNet,
}

/// <summary>Section <c>Storage</c>: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;
    [Required] public string ConnectionString { get; set; } = "Data Source=data/qrmahalla.db";
    public bool ApplySchema { get; set; } = true;

    /// <summary>
    /// <c>Batched</c> (group commit) or <c>AdoNet</c>; unset means <c>Batched</c> on SQLite and PostgreSQL and
    /// <c>AdoNet</c> on SQL Server, which has no group-commit writer. Both use the same tables, rows and versions.
    /// </summary>
    public StorageWriter? Writer { get; set; }

    public StorageBatchOptions Batch { get; set; } = new();

    /// <summary>The writer in force for this provider.</summary>
    public StorageWriter EffectiveWriter => Writer ?? (Provider == StorageProvider.SqlServer ? StorageWriter.AdoNet : StorageWriter.Batched);

    /// <summary>
    /// Batches in the database at once: <c>Storage:Batch:InFlight</c>, or 4 on PostgreSQL (a batch's commit waits for
    /// the WAL flush while the next one runs) and 1 on SQLite (one writer; a second transaction would only wait).
    /// </summary>
    public int EffectiveInFlight => Batch.InFlight ?? (Provider == StorageProvider.PostgreSql ? 4 : 1);

    /// <summary>How often a silo deletes code state rows whose every window has passed.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Section <c>Storage:Batch</c>: the group-commit writer's bounds, checked by <see cref="StorageOptionsValidator"/>.</summary>
public sealed class StorageBatchOptions
{
    /// <summary>The most grain operations one round trip and one transaction carry.</summary>
    public int MaxSize { get; set; } = 128;

    /// <summary>Operations waiting for a batch; past this a call fails at once (HTTP 503) instead of waiting longer.</summary>
    public int QueueLimit { get; set; } = 20_000;

    /// <summary>How long one batch may take in the database before it fails.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>
    /// How many batches may be in the database at once, each on its own connection; unset takes the engine's default
    /// (<see cref="StorageOptions.EffectiveInFlight"/>). A row is never in two of them.
    /// </summary>
    public int? InFlight { get; set; }
}

/// <summary>Checks what data annotations cannot: the writer fits the engine, and the batch bounds are sane.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (options.Writer == StorageWriter.Batched && options.Provider == StorageProvider.SqlServer)
        {
            return ValidateOptionsResult.Fail("Storage:Writer 'Batched' is not available on SqlServer; use AdoNet or leave it unset.");
        }

        var batch = options.Batch;
        if (batch.MaxSize is < 1 or > 1000)
        {
            return ValidateOptionsResult.Fail("Storage:Batch:MaxSize must be between 1 and 1000.");
        }

        if (batch.InFlight is < 1 or > 64)
        {
            return ValidateOptionsResult.Fail("Storage:Batch:InFlight must be between 1 and 64.");
        }

        if (batch.QueueLimit < batch.MaxSize)
        {
            return ValidateOptionsResult.Fail("Storage:Batch:QueueLimit must be at least Storage:Batch:MaxSize.");
        }

        return batch.CommandTimeout > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("Storage:Batch:CommandTimeout must be positive.");
    }
}

/// <summary>Memory storage keeps nothing across a restart: it is for tests and benchmarks, in Development only.</summary>
public sealed class StorageEnvironmentValidator(IHostEnvironment environment) : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options) =>
        options.Provider == StorageProvider.Memory && !environment.IsDevelopment()
            ? ValidateOptionsResult.Fail("Storage:Provider 'Memory' keeps nothing across a restart; it is refused outside Development.")
            : ValidateOptionsResult.Success;
}
