using System.Diagnostics;

namespace QrMahalla.EndToEnd.Tests;

/// <summary>Runs one of the repository's scripts with bash, as an operator would; its output, or a failure naming it.</summary>
public static class RepositoryScript
{
    public static string Run(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(BuildOutput.Root, script), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{script} {string.Join(' ', arguments)}: {error}");
    }
}
