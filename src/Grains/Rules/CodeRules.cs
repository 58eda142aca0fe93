using System.Security.Cryptography;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Grains.Rules;

/// <summary>
/// The life of one phone's codes: when a code may be sent (cooldown, hourly cap, lockout), what a guess does
/// (attempts, dead codes, lockout), and when a code is spent. Pure: the state and the time come in, the state is
/// changed in place and a decision goes out; the grain persists it and calls the next grain. Every number comes from
/// <see cref="OtpOptions"/>.
/// </summary>
public sealed class CodeRules(OtpOptions otp)
{
    /// <summary>What the hourly send cap and the dead-code count look back over.</summary>
    public static readonly TimeSpan SendWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// How long this phone must wait before it may be sent a code, or null when it may be sent one now. Forgets first
    /// what every window has left behind (old sends, old dead codes, a lockout that has run out).
    /// </summary>
    public TimeSpan? SendWait(PhoneCodeState state, DateTimeOffset now)
    {
        Prune(state, now);
        return Wait(state, now);
    }

    /// <summary>A send the provider refused counts toward the hourly cap, but starts no cooldown and keeps the code.</summary>
    public static void RecordFailedSend(PhoneCodeState state, DateTimeOffset now) => state.SendTimes.Add(now);

    /// <summary>A new code replaces the old one, with a fresh set of attempts, and starts the cooldown.</summary>
    public void RecordSent(PhoneCodeState state, byte[] codeHash, DateTimeOffset now)
    {
        state.CodeHash = codeHash;
        state.ExpiresAt = now + otp.CodeLifetime;
        state.WrongAttempts = 0;
        state.Dead = false;
        state.LastSentAt = now;
        state.SendTimes.Add(now);
    }

    /// <summary>Whether a guess may be compared at all, before it is: a locked phone, no code, a dead or expired one.</summary>
    public CodeCheck CheckGuess(PhoneCodeState state, DateTimeOffset now)
    {
        if (state.LockedUntil > now)
        {
            return new CodeCheck(CodeCheckStatus.Locked, RetryAfterSeconds: Seconds(state.LockedUntil.Value - now));
        }

        if (state.CodeHash is null || state.ExpiresAt is null)
        {
            return new CodeCheck(CodeCheckStatus.NoCode);
        }

        if (state.Dead)
        {
            return new CodeCheck(CodeCheckStatus.Dead, RetryAfterSeconds: ResendWaitSeconds(state, now));
        }

        return now >= state.ExpiresAt ? new CodeCheck(CodeCheckStatus.Expired) : new CodeCheck(CodeCheckStatus.Open);
    }

    /// <summary>
    /// A wrong guess against an open code. The last allowed one kills the code; enough dead codes in the window lock
    /// the phone. An expired code is never counted as dead: it was not guessed to death.
    /// </summary>
    public WrongGuess RecordWrongGuess(PhoneCodeState state, DateTimeOffset now)
    {
        state.WrongAttempts++;
        if (state.WrongAttempts < otp.MaxAttempts)
        {
            return new WrongGuess(CodeDead: false, AttemptsLeft: otp.MaxAttempts - state.WrongAttempts, RetryAfterSeconds: 0);
        }

        state.Dead = true;
        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);
        state.DeadCodeTimes.Add(now);
        if (state.DeadCodeTimes.Count >= otp.LockoutAfterDeadCodes)
        {
            state.LockedUntil = now + otp.LockoutDuration;
        }

        return new WrongGuess(CodeDead: true, AttemptsLeft: 0, RetryAfterSeconds: ResendWaitSeconds(state, now));
    }

    /// <summary>A used code is gone, and so is the phone's dead-code history: a login proves the owner has it.</summary>
    public static void Spend(PhoneCodeState state)
    {
        state.CodeHash = null;
        state.ExpiresAt = null;
        state.WrongAttempts = 0;
        state.Dead = false;
        state.DeadCodeTimes.Clear();
    }

    /// <summary>
    /// Whether the code in the state is the one the binding records as consumed: the code state is not rewritten on a
    /// login, so this is what makes a used code spent in a reactivated grain. A test number's fixed code hashes the
    /// same every time, so the hash alone cannot tell a spent code from a new one: only a code sent no later than the
    /// consumption is the spent one.
    /// </summary>
    public static bool WasSpent(PhoneCodeState state, PhoneBindingState binding) =>
        state.CodeHash is { } hash && binding.ConsumedCodeHash is { } consumed
        && state.LastSentAt <= binding.ConsumedAt
        && CryptographicOperations.FixedTimeEquals(hash, consumed);

    /// <summary>
    /// Staff lift a lockout: the dead-code count goes, and a dead code is dropped (it stays unusable) so the phone may
    /// ask for a new one at once. Returns whether anything changed.
    /// </summary>
    public static bool Unlock(PhoneCodeState state)
    {
        if (state.LockedUntil is null && state.DeadCodeTimes.Count == 0 && !state.Dead)
        {
            return false;
        }

        state.LockedUntil = null;
        state.DeadCodeTimes.Clear();
        if (state.Dead)
        {
            state.CodeHash = null;
            state.ExpiresAt = null;
            state.Dead = false;
            state.WrongAttempts = 0;
            state.LastSentAt = null;
        }

        return true;
    }

    /// <summary>What staff see of a phone's codes: never the code or its hash.</summary>
    public CodeStatus Status(PhoneCodeState state, DateTimeOffset now)
    {
        var outstanding = state is { CodeHash: not null, Dead: false } && state.ExpiresAt > now;
        return new CodeStatus(
            outstanding,
            outstanding ? state.ExpiresAt : null,
            outstanding ? Math.Max(otp.MaxAttempts - state.WrongAttempts, 0) : 0,
            state.SendTimes.Count(t => t > now - SendWindow),
            state.LockedUntil > now ? state.LockedUntil : null);
    }

    /// <summary>The longest window any rule here looks back over: code state older than this decides nothing.</summary>
    public static TimeSpan LongestWindow(OtpOptions otp) =>
        new[] { SendWindow, otp.CodeLifetime, otp.ResendCooldown, otp.LockoutDuration }.Max();

    /// <summary>Whole seconds for a Retry-After, rounded up, never negative.</summary>
    public static int Seconds(TimeSpan span) => (int)Math.Ceiling(Math.Max(span.TotalSeconds, 0));

    private TimeSpan? Wait(PhoneCodeState state, DateTimeOffset now)
    {
        if (state.LockedUntil > now)
        {
            return state.LockedUntil.Value - now;
        }

        if (state.LastSentAt is { } last && last + otp.ResendCooldown > now)
        {
            return last + otp.ResendCooldown - now;
        }

        return state.SendTimes.Count >= otp.MaxSendsPerHour ? state.SendTimes[0] + SendWindow - now : null;
    }

    private int ResendWaitSeconds(PhoneCodeState state, DateTimeOffset now) => Wait(state, now) is { } wait ? Seconds(wait) : 0;

    private static void Prune(PhoneCodeState state, DateTimeOffset now)
    {
        state.SendTimes.RemoveAll(t => t <= now - SendWindow);
        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);
        if (state.LockedUntil <= now)
        {
            state.LockedUntil = null;
        }
    }
}

public enum CodeCheckStatus
{
    /// <summary>A code is outstanding and may be compared.</summary>
    Open,
    Locked,
    NoCode,
    Dead,
    Expired,
}

public readonly record struct CodeCheck(CodeCheckStatus Status, int RetryAfterSeconds = 0);

public readonly record struct WrongGuess(bool CodeDead, int AttemptsLeft, int RetryAfterSeconds);

public readonly record struct CodeStatus(
    bool Outstanding, DateTimeOffset? ExpiresAt, int AttemptsLeft, int SendsInWindow, DateTimeOffset? LockedUntil);
