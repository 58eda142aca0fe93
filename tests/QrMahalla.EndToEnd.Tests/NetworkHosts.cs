using Npgsql;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// Machines as network namespaces (<c>tools/netns.sh</c>, run as root as CI runs): hosts 1..3, each with one address
/// on a private bridge that the fixture makes and removes (a crashed run's leftovers go at the next start), and a
/// PostgreSQL server of its own listening on the bridge, which every host reaches. Nothing routes off the machine.
/// </summary>
public sealed class NetworkHosts : IAsyncLifetime
{
    public const int Count = 3;
    public const string Bridge = "10.199.77.1";

    private string postgresFolder = "";
    private int postgresPort;

    public static string Name(int host) => $"qrm-h{host}";

    public static string Address(int host) => $"10.199.77.{10 + host}";

    /// <summary>The server as the test sees it, from the machine's own namespace.</summary>
    public string PostgresConnectionString => $"Host=127.0.0.1;Port={postgresPort};Username=postgres;Database=postgres";

    /// <summary>The same database as the hosts reach it, over the bridge.</summary>
    public static string FromHosts(string connectionString) => new NpgsqlConnectionStringBuilder(connectionString) { Host = Bridge }.ConnectionString;

    public Task InitializeAsync()
    {
        Run("up", Count.ToString());
        var started = Run("pg").Trim().Split(' ');
        (postgresFolder, postgresPort) = (started[0], int.Parse(started[1]));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Run("down");
        if (postgresFolder.Length > 0)
        {
            Run("pg-stop", postgresFolder);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// The machine is gone: its link goes down, then every process on it dies, so not even the kernel's connection
    /// closes reach its peers; they learn it from timeouts.
    /// </summary>
    public static void Vanish(int host) => Run("vanish", host.ToString());

    public static string Run(params string[] arguments) => RepositoryScript.Run("tools/netns.sh", arguments);
}
