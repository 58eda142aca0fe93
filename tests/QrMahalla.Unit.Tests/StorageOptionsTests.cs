using QrMahalla.Grains.Options;

namespace QrMahalla.Unit.Tests;

/// <summary>The storage settings' rules: which writer and how many batches in flight each engine gets, and what is refused.</summary>
public sealed class StorageOptionsTests
{
    [Theory]
    [InlineData(StorageProvider.PostgreSql, null, 4)]
    [InlineData(StorageProvider.Sqlite, null, 1)]
    [InlineData(StorageProvider.PostgreSql, 1, 1)]
    [InlineData(StorageProvider.Sqlite, 3, 3)]
    public void Batches_in_flight_default_by_engine_and_follow_the_setting(StorageProvider provider, int? setting, int expected)
    {
        var options = new StorageOptions { Provider = provider, Batch = new StorageBatchOptions { InFlight = setting } };

        Assert.Equal(expected, options.EffectiveInFlight);
        Assert.True(new StorageOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(StorageProvider.Sqlite, StorageWriter.Batched)]
    [InlineData(StorageProvider.PostgreSql, StorageWriter.Batched)]
    [InlineData(StorageProvider.SqlServer, StorageWriter.AdoNet)]
    public void An_unset_writer_is_group_commit_where_the_engine_has_one(StorageProvider provider, StorageWriter expected) =>
        Assert.Equal(expected, new StorageOptions { Provider = provider }.EffectiveWriter);

    public static TheoryData<string, StorageOptions> Refused => new()
    {
        { "Storage:Batch:InFlight", new StorageOptions { Provider = StorageProvider.PostgreSql, Batch = new StorageBatchOptions { InFlight = 0 } } },
        { "Storage:Batch:InFlight", new StorageOptions { Provider = StorageProvider.PostgreSql, Batch = new StorageBatchOptions { InFlight = 65 } } },
        { "Storage:Batch:MaxSize", new StorageOptions { Batch = new StorageBatchOptions { MaxSize = 0 } } },
        { "Storage:Batch:QueueLimit", new StorageOptions { Batch = new StorageBatchOptions { MaxSize = 64, QueueLimit = 63 } } },
        { "Storage:Batch:CommandTimeout", new StorageOptions { Batch = new StorageBatchOptions { CommandTimeout = TimeSpan.Zero } } },
        { "Storage:Writer", new StorageOptions { Provider = StorageProvider.SqlServer, Writer = StorageWriter.Batched } },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Settings_out_of_bounds_are_refused_naming_the_key(string key, StorageOptions options)
    {
        var result = new StorageOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
    }
}
