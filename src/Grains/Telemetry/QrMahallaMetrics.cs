using System.Diagnostics.Metrics;

namespace QrMahalla.Grains.Telemetry;

/// <summary>
/// The service's own instruments (meter <c>QrMahalla</c>). Tags carry outcomes and provider names only: never a phone
/// number, a code or a user id, so label cardinality stays small and metrics hold no personal data.
/// </summary>
public sealed class QrMahallaMetrics
{
    public const string MeterName = "QrMahalla";

    private readonly Counter<long> codesSent;
    private readonly Counter<long> codesVerified;
    private readonly Counter<long> usersCreated;
    private readonly Counter<long> refreshes;
    private readonly Counter<long> rateLimited;
    private readonly Counter<long> originRefusals;
    private readonly Histogram<double> smsDuration;
    private readonly Counter<long> smsFailures;
    private readonly Counter<long> readModelFailures;
    private readonly Meter meter;
    private readonly Histogram<int> storageBatchSize;
    private readonly Histogram<double> storageCommit;
    private readonly Histogram<double> storageWait;
    private readonly Counter<long> storageRejections;
    private Func<int>? storageQueue;

    public QrMahallaMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        codesSent = meter.CreateCounter<long>("qrm.codes.sent", "{request}", "Send-code requests by result: sent, rate_limited, sms_failed.");
        codesVerified = meter.CreateCounter<long>("qrm.codes.verified", "{request}", "Verify requests by result: success, invalid_code, code_expired, too_many_attempts, rate_limited, user_inactive.");
        usersCreated = meter.CreateCounter<long>("qrm.users.created", "{user}", "Accounts created by a first correct code.");
        refreshes = meter.CreateCounter<long>("qrm.tokens.refreshed", "{request}", "Refresh requests by result: success, invalid_token, user_inactive.");
        originRefusals = meter.CreateCounter<long>("qrm.http.origin_refusals", "{request}", "State-changing requests refused because they came from another site's page.");
        rateLimited = meter.CreateCounter<long>("qrm.rate_limit.rejections", "{request}", "Requests refused by a limit, by scope (phone, address) and action (send, verify).");
        smsDuration = meter.CreateHistogram<double>("qrm.sms.duration", "s", "Time to hand one message to the SMS provider, by provider and outcome.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] });
        smsFailures = meter.CreateCounter<long>("qrm.sms.failures", "{message}", "Messages the SMS provider failed or refused, by provider.");
        readModelFailures = meter.CreateCounter<long>("qrm.read_model.failures", "{write}", "Users read-model writes that failed and will be retried.");
        storageBatchSize = meter.CreateHistogram<int>("qrm.storage.batch.size", "{operation}", "Grain state operations per group-commit batch.",
            tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        storageCommit = meter.CreateHistogram<double>("qrm.storage.batch.duration", "s", "Time one batch spends in the database, commit included.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5] });
        storageWait = meter.CreateHistogram<double>("qrm.storage.batch.wait", "s", "Time the oldest operation of a batch waited in the queue.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5] });
        storageRejections = meter.CreateCounter<long>("qrm.storage.rejections", "{operation}", "Grain state operations refused because the storage queue was full.");
        meter.CreateObservableGauge("qrm.storage.queue.depth", () => storageQueue?.Invoke() ?? 0, "{operation}", "Grain state operations waiting for a batch.");
    }

    public void CodeSent(string result) => codesSent.Add(1, new KeyValuePair<string, object?>("result", result));

    public void CodeVerified(string result) => codesVerified.Add(1, new KeyValuePair<string, object?>("result", result));

    public void UserCreated() => usersCreated.Add(1);

    public void StorageBatch(int size, TimeSpan duration, TimeSpan oldestWait)
    {
        storageBatchSize.Record(size);
        storageCommit.Record(duration.TotalSeconds);
        storageWait.Record(oldestWait.TotalSeconds);
    }

    public void StorageRejected() => storageRejections.Add(1);

    /// <summary>The silo's group-commit queue, read when the queue-depth gauge is observed.</summary>
    public void ObserveStorageQueue(Func<int> depth) => storageQueue = depth;

    public void ReadModelWriteFailed() => readModelFailures.Add(1);

    public void Refreshed(string result) => refreshes.Add(1, new KeyValuePair<string, object?>("result", result));

    public void OriginRefused() => originRefusals.Add(1);

    public void RateLimited(string scope, string action) =>
        rateLimited.Add(1, new KeyValuePair<string, object?>("scope", scope), new KeyValuePair<string, object?>("action", action));

    public void SmsSent(string provider, TimeSpan duration, bool ok)
    {
        smsDuration.Record(duration.TotalSeconds,
            new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", ok ? "sent" : "failed"));
        if (!ok)
        {
            smsFailures.Add(1, new KeyValuePair<string, object?>("provider", provider));
        }
    }
}
