using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Sms;

/// <summary>One text message carrying a code. <see cref="Code"/> is only for development sinks to show.</summary>
public sealed record SmsMessage(string Phone, string Code, string Text);

public interface ISmsSender
{
    Task SendAsync(SmsMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// Development sink: appends one JSON object a line, which is how a developer reads a code locally. Several silo
/// processes may share one outbox, so each append holds an exclusive lock on a companion <c>.lock</c> file: without
/// it two processes that both seek to the end overwrite each other's line.
/// </summary>
public sealed class FileSmsSender(IOptions<SmsOptions> options, RuleClock clock) : ISmsSender
{
    private static readonly SemaphoreSlim WriteLock = new(1, 1);
    private readonly string path = Path.GetFullPath(options.Value.FilePath);

    public async Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(new OutboxLine(message.Phone, message.Code, message.Text, clock.UtcNow)) + "\n";
        await WriteLock.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var processLock = await LockAcrossProcessesAsync(cancellationToken);
            await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            await using var writer = new StreamWriter(stream);
            await writer.WriteAsync(line.AsMemory(), cancellationToken);
        }
        finally
        {
            WriteLock.Release();
        }
    }

    private async Task<FileStream> LockAcrossProcessesAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(2), cancellationToken); // another process is appending
            }
        }
    }

    private sealed record OutboxLine(
        [property: JsonPropertyName("phone")] string Phone,
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("sent_at")] DateTimeOffset SentAt);
}

/// <summary>Development sink: prints the message on standard output (never through the logger).</summary>
public sealed class ConsoleSmsSender : ISmsSender
{
    public Task SendAsync(SmsMessage message, CancellationToken cancellationToken) =>
        Console.Out.WriteLineAsync($"[sms to {message.Phone}] {message.Text}");
}

/// <summary>Builds the text of a code message from <c>Sms:Template</c>, with the WebOTP line when configured.</summary>
public sealed class SmsText(IOptions<SmsOptions> options)
{
    public string For(string code)
    {
        var text = options.Value.Template.Replace("{code}", code, StringComparison.Ordinal);
        return string.IsNullOrWhiteSpace(options.Value.WebOtpDomain) ? text : $"{text}\n\n@{options.Value.WebOtpDomain} #{code}";
    }
}

/// <summary>A provider refused or failed a message; the message says how, never what the code was.</summary>
public sealed class SmsProviderException(string message) : Exception(message);
