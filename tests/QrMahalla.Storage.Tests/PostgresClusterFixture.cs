namespace QrMahalla.Storage.Tests;

/// <summary>A three-silo TestingHost cluster whose grain state lives in a PostgreSQL database of its own.</summary>
public sealed class PostgresClusterFixture() : ClusterFixture(3)
{
    public string ConnectionString { get; private set; } = "";

    public override async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync("cluster");
        await base.InitializeAsync();
    }

    protected override Dictionary<string, string?> StorageSettings() => new()
    {
        ["Storage:Provider"] = "PostgreSql",
        ["Storage:ConnectionString"] = ConnectionString,
    };
}

[CollectionDefinition(Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "three-silo PostgreSQL cluster";
}
