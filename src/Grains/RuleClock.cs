namespace QrMahalla.Grains;

/// <summary>
/// The clock the login rules (code expiry, cooldowns, token lifetimes) read. Kept apart from the
/// host's <see cref="TimeProvider"/> so tests can move rule time without moving Orleans' own timers.
/// </summary>
public sealed class RuleClock(TimeProvider time)
{
    public static RuleClock System { get; } = new(TimeProvider.System);

    public TimeProvider Time { get; } = time;

    public DateTimeOffset UtcNow => Time.GetUtcNow();
}
