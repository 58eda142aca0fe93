namespace QrMahalla.EndToEnd.Tests;

/// <summary>Figures the process tests observe, one line each, in the temp folder (test classes run two at a time).</summary>
public static class Measurements
{
    private static readonly SemaphoreSlim One = new(1, 1);

    public static async Task AppendAsync(string line)
    {
        await One.WaitAsync();
        try
        {
            await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "qrm-tests", "measurements.txt"), $"{DateTimeOffset.UtcNow:O} {line}\n");
        }
        finally
        {
            One.Release();
        }
    }
}
