using System.Text;
using System.Text.Json;
using System.Threading.Channels;
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
/// Development sink: appends one JSON object a line, which is how a developer reads a code locally. Messages that
/// arrive together are appended together: one writer takes what queued, appends it in one write and only then answers
/// each send, so the request path never opens a file per message. Several silo processes may share one outbox, so each
/// append holds an exclusive lock on a companion <c>.lock</c> file: without it two processes that both seek to the end
/// overwrite each other's lines.
/// </summary>
public sealed class FileSmsSender : ISmsSender
{
    private const int MaxBatch = 512;
    private readonly string path;
    private readonly RuleClock clock;
    private readonly Channel<(string Line, TaskCompletionSource Written)> queue =
        Channel.CreateUnbounded<(string, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });

    public FileSmsSender(IOptions<SmsOptions> options, RuleClock clock)
    {
        path = Path.GetFullPath(options.Value.FilePath);
        this.clock = clock;
        _ = Task.Run(WriteAsync);
    }

    public Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(new OutboxLine(message.Phone, message.Code, message.Text, clock.UtcNow)) + "\n";
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Writer.TryWrite((line, written));
        return written.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<(string Line, TaskCompletionSource Written)>(MaxBatch);
        var text = new StringBuilder();
        while (await queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            text.Clear();
            while (batch.Count < MaxBatch && queue.Reader.TryRead(out var next))
            {
                batch.Add(next);
                text.Append(next.Line);
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await using (var processLock = await LockAcrossProcessesAsync())
                await using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()));
                }

                batch.ForEach(b => b.Written.TrySetResult());
            }
            catch (Exception e)
            {
                batch.ForEach(b => b.Written.TrySetException(e));
            }
        }
    }

    private async Task<FileStream> LockAcrossProcessesAsync()
    {
        while (true)
        {
            try
            {
                return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(1)); // another process is appending
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
