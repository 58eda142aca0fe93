using System.Diagnostics;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>A silo or gateway started as its own OS process from the build output, as an operator runs it.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;

    private ServiceProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        this.process = process;
        this.log = log;
    }

    public string Name { get; }

    public bool HasExited => process.HasExited;

    public int ExitCode => process.ExitCode;

    public string LogPath { get; private init; } = "";

    public static ServiceProcess Start(string project, string name, IReadOnlyDictionary<string, string> environment, string folder, params string[] arguments) =>
        Start("dotnet", [BuildOutput.Executable(project), .. arguments], name, environment, folder);

    /// <summary>The same, inside network namespace <paramref name="host"/> (<c>tools/netns.sh</c>): a machine of its own.</summary>
    public static ServiceProcess StartInHost(string host, string project, string name, IReadOnlyDictionary<string, string> environment, string folder) =>
        Start("ip", ["netns", "exec", host, "dotnet", BuildOutput.Executable(project)], name, environment, folder);

    private static ServiceProcess Start(string program, string[] arguments, string name, IReadOnlyDictionary<string, string> environment, string folder)
    {
        var options = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        foreach (var (key, value) in environment)
        {
            options.Environment[key] = value;
        }

        var logPath = Path.Combine(folder, $"{name}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = options };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServiceProcess(name, process, log) { LogPath = logPath };
    }

    /// <summary>SIGTERM: what an orchestrator sends before it stops a process; the host shuts down gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Output()
    {
        lock (log)
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
        lock (log)
        {
            log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream.CanWrite)
            {
                log.WriteLine(line);
            }
        }
    }
}

/// <summary>Finds the silo and gateway builds that sit beside this test build (same configuration).</summary>
public static class BuildOutput
{
    /// <summary>The repository: the folder above the tests that holds QrMahalla.Orleans.sln.</summary>
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "QrMahalla.Orleans.sln")))
            {
                root = root.Parent;
            }

            return root?.FullName ?? throw new InvalidOperationException("QrMahalla.Orleans.sln not found above the tests");
        }
    }

    public static string Executable(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var path = Path.Combine(Root, "src", project, "bin", configuration, "net10.0", $"QrMahalla.{project}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first; {path} is missing.");
    }
}

public static class Wait
{
    /// <summary>Polls a condition until it holds or the deadline passes; the explicit wait the tests use instead of sleeps.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan deadline, string what) where T : class
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (stopwatch.Elapsed > deadline)
            {
                throw new TimeoutException($"Gave up after {deadline.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
