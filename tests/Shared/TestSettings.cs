using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Tests;

/// <summary>Per-run secrets, folders, ports and phone numbers, so no two tests share anything mutable.</summary>
public static class TestSettings
{
    private static int phoneCounter = Random.Shared.Next(1_000_000, 4_000_000);

    /// <summary>One code-hash key and one signing key for the whole test run, in configuration form.</summary>
    public static readonly (string HashKey, string Kid, string Pem) Secrets = CreateSecrets();

    public static Dictionary<string, string?> SecretSettings() => new()
    {
        ["Otp:HashKey"] = Secrets.HashKey,
        ["Jwt:SigningKeys:0:Kid"] = Secrets.Kid,
        ["Jwt:SigningKeys:0:Pem"] = Secrets.Pem,
    };

    /// <summary>
    /// <c>Otp:MaxFailedVerifications</c> for the shared fixtures: high enough that the lockout for wrong guesses in a row
    /// (at its default it locks a phone at its second dead code) stays out of the way of the tests of the per-code
    /// and dead-code rules. That lockout is tested at its default by tests that set it back.
    /// </summary>
    public const string FailedVerificationsOutOfTheWay = "1000";

    /// <summary>A fresh, valid Uzbek mobile number (+998 90 xxx xx xx) that no other test uses.</summary>
    public static string NewPhone() => $"+99890{Interlocked.Increment(ref phoneCounter):D7}";

    public static string NewTempFolder(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "qrm-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (string, string, string) CreateSecrets()
    {
        var (hashKey, signing) = AuthSecrets.Generate();
        return (hashKey, signing.Kid, signing.Pem);
    }
}

/// <summary>Reads the File SMS sink the way a developer does: the newest line for a phone.</summary>
public sealed class Outbox(string path)
{
    public string Path { get; } = path;

    public IReadOnlyList<(string Phone, string Code, string Text)> Messages()
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var messages = new List<(string, string, string)>();
        while (reader.ReadLine() is { } line)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            messages.Add((root.GetProperty("phone").GetString()!, root.GetProperty("code").GetString()!, root.GetProperty("text").GetString()!));
        }

        return messages;
    }

    public int CountFor(string phone) => Messages().Count(m => m.Phone == phone);

    public string LatestCodeFor(string phone) =>
        Messages().LastOrDefault(m => m.Phone == phone).Code
        ?? throw new InvalidOperationException($"No SMS was sent to {phone}.");
}
