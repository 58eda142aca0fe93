using System.Diagnostics;
using Npgsql;

namespace QrMahalla.Tests;

/// <summary>
/// A PostgreSQL server of a test's own with <c>fsync</c> and <c>synchronous_commit</c> on (the shared one that
/// ./test.sh starts has both off for speed), for tests about what survives the database going down. It runs as the
/// <c>postgres</c> user when the tests run as root, in a temp folder on 127.0.0.1, and is removed on dispose.
/// </summary>
public sealed class DurablePostgres : IAsyncDisposable
{
    private readonly string bin;
    private readonly string folder;

    private DurablePostgres(string bin, string folder, int port)
    {
        this.bin = bin;
        this.folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    public static async Task<DurablePostgres> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            : null;
        Assert.True(bin is not null, "PostgreSQL's binaries are missing: ./test.sh installs the postgresql package.");
        var folder = Path.Combine(Path.GetTempPath(), $"qrm-durable-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        await RunAsync("chmod", "777", folder);
        var server = new DurablePostgres(bin!, folder, TestSettings.FreePort());
        await server.AsPostgresAsync("initdb", "-D", server.Data, "-U", "postgres", "-A", "trust", "-E", "UTF8");
        await server.StartServerAsync();
        return server;
    }

    private string Data => Path.Combine(folder, "data");

    /// <summary>Stops the server the way a crash does (no checkpoint, recovery at the next start), then starts it again.</summary>
    public async Task CrashAndRestartAsync()
    {
        await AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        await StartServerAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(folder, recursive: true);
    }

    private Task StartServerAsync() => AsPostgresAsync("pg_ctl", "-D", Data, "-w", "-t", "60", "-l", Path.Combine(folder, "server.log"),
        "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {folder} -c fsync=on -c synchronous_commit=on -c max_connections=100", "start");

    private Task AsPostgresAsync(string tool, params string[] arguments) => Environment.UserName == "root"
        ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, tool), .. arguments])
        : RunAsync(Path.Combine(bin, tool), arguments);

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {await output}{await error}");
        }
    }
}
