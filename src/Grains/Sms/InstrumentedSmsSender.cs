using System.Diagnostics;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Grains.Sms;

/// <summary>Times every send and counts failures per provider, around whichever provider is configured.</summary>
public sealed class InstrumentedSmsSender(ISmsSender inner, string provider, QrMahallaMetrics metrics) : ISmsSender
{
    public async Task SendAsync(SmsMessage message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var ok = false;
        try
        {
            await inner.SendAsync(message, cancellationToken);
            ok = true;
        }
        finally
        {
            metrics.SmsSent(provider, Stopwatch.GetElapsedTime(started), ok);
        }
    }
}
