using Microsoft.Extensions.Options;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Abuse;

/// <summary>A sliding one-minute window per action for one client address; never persisted.</summary>
public sealed class ClientAddressGrain(RuleClock clock, IOptions<RateLimitingOptions> options) : Grain, IClientAddressGrain
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<RateLimitedAction, Queue<DateTimeOffset>> recent = [];

    public Task<RateDecision> TryAcquireAsync(RateLimitedAction action)
    {
        if (!options.Value.IsLimited(action))
        {
            return Task.FromResult(new RateDecision(true));
        }

        var limit = options.Value.LimitFor(action);

        var now = clock.UtcNow;
        if (!recent.TryGetValue(action, out var times))
        {
            recent[action] = times = new Queue<DateTimeOffset>(limit);
        }

        while (times.TryPeek(out var oldest) && oldest <= now - Window)
        {
            times.Dequeue();
        }

        if (times.Count >= limit)
        {
            var wait = times.Peek() + Window - now;
            return Task.FromResult(new RateDecision(false, (int)Math.Ceiling(Math.Max(wait.TotalSeconds, 1))));
        }

        times.Enqueue(now);
        return Task.FromResult(new RateDecision(true));
    }
}
