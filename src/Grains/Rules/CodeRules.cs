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

    /// <summary>How long wrong guesses in a row, and the lockouts they caused, are remembered.</summary>
    public static readonly TimeSpan FailureMemory = TimeSpan.FromDays(7);

    /// <summary>The longest lockout that doubling reaches.</summary>
    public static readonly TimeSpan MaxLockout = TimeSpan.FromHours(24);

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
    /// the phone. An expired code is never counted as dead: it was not guessed to death. Every wrong guess also
    /// counts toward the phone's wrong guesses in a row, across codes (<see cref="CountFailure"/>).
    /// </summary>
    public WrongGuess RecordWrongGuess(PhoneCodeState state, DateTimeOffset now)
    {
        state.WrongAttempts++;
        var locked = CountFailure(state, now);
        if (state.WrongAttempts < otp.MaxAttempts)
        {
            return locked
                ? new WrongGuess(CodeDead: false, AttemptsLeft: 0, RetryAfterSeconds: Seconds(state.LockedUntil!.Value - now), PhoneLocked: true)
                : new WrongGuess(CodeDead: false, AttemptsLeft: otp.MaxAttempts - state.WrongAttempts, RetryAfterSeconds: 0);
        }

        state.Dead = true;
        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);
        state.DeadCodeTimes.Add(now);
        if (state.DeadCodeTimes.Count >= otp.LockoutAfterDeadCodes)
        {
            state.LockedUntil = Later(state.LockedUntil, now + otp.LockoutDuration);
        }

        return new WrongGuess(CodeDead: true, AttemptsLeft: 0, RetryAfterSeconds: ResendWaitSeconds(state, now), PhoneLocked: state.LockedUntil > now);
    }

    /// <summary>
    /// Counts a wrong guess in a row for the phone, whatever code it was against; a login clears the count, and a
    /// week without one forgets it. At <see cref="OtpOptions.MaxFailedVerifications"/> the phone locks for
    /// <see cref="OtpOptions.LockoutDuration"/>, doubled for each such lockout in the past week, at most
    /// <see cref="MaxLockout"/>, and the count starts again. Returns whether this guess locked the phone.
    /// </summary>
    private bool CountFailure(PhoneCodeState state, DateTimeOffset now)
    {
        ForgetOldFailures(state, now);
        state.FailedVerifications++;
        state.LastFailedAt = now;
        if (state.FailedVerifications < otp.MaxFailedVerifications)
        {
            return false;
        }

        var doubled = otp.LockoutDuration * Math.Pow(2, Math.Min(state.FailureLockouts.Count, 16));
        state.LockedUntil = Later(state.LockedUntil, now + (doubled < MaxLockout ? doubled : MaxLockout));
        state.FailureLockouts.Add(now);
        state.FailedVerifications = 0;
        return true;
    }

    /// <summary>
    /// A used code is gone, and so are the phone's dead-code history and its wrong guesses in a row: a login proves
    /// the owner has the phone. (Lockouts already served still count toward the doubling.)
    /// </summary>
    public static void Spend(PhoneCodeState state)
    {
        state.CodeHash = null;
        state.ExpiresAt = null;
        state.WrongAttempts = 0;
        state.Dead = false;
        state.DeadCodeTimes.Clear();
        state.FailedVerifications = 0;
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
        if (state is { LockedUntil: null, DeadCodeTimes.Count: 0, Dead: false, FailedVerifications: 0, FailureLockouts.Count: 0 })
        {
            return false;
        }

        state.LockedUntil = null;
        state.DeadCodeTimes.Clear();
        state.FailedVerifications = 0;
        state.FailureLockouts.Clear();
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
        new[] { SendWindow, FailureMemory, otp.CodeLifetime, otp.ResendCooldown, otp.LockoutDuration, MaxLockout }.Max();

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
        ForgetOldFailures(state, now);
        if (state.LockedUntil <= now)
        {
            state.LockedUntil = null;
        }
    }

    private static void ForgetOldFailures(PhoneCodeState state, DateTimeOffset now)
    {
        state.FailureLockouts.RemoveAll(t => t <= now - FailureMemory);
        if (state.LastFailedAt <= now - FailureMemory)
        {
            state.FailedVerifications = 0;
        }
    }

    private static DateTimeOffset Later(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } c && c > candidate ? c : candidate;
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

/// <summary>What a wrong guess did: killed the code, locked the phone (then retry after that), or left attempts.</summary>
public readonly record struct WrongGuess(bool CodeDead, int AttemptsLeft, int RetryAfterSeconds, bool PhoneLocked = false);

public readonly record struct CodeStatus(
    bool Outstanding, DateTimeOffset? ExpiresAt, int AttemptsLeft, int SendsInWindow, DateTimeOffset? LockedUntil);
