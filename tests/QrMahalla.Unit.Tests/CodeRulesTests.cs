using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Unit.Tests;

/// <summary>
/// The code lifecycle of one phone, with the defaults: 120 s codes, 5 attempts, 60 s cooldown, 5 sends an hour, a
/// one-hour lock after 3 dead codes, and a lock after 10 wrong guesses in a row across codes, doubling within a week.
/// </summary>
public sealed class CodeRulesTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly OtpOptions Otp = new();

    /// <summary>The defaults, except that wrong guesses in a row never lock: the per-code and dead-code rules alone.</summary>
    private readonly CodeRules rules = new(new OtpOptions { MaxFailedVerifications = 1000 });

    /// <summary>The defaults, all of them.</summary>
    private readonly CodeRules failures = new(Otp);
    private readonly PhoneCodeState state = new();

    [Fact]
    public void A_phone_with_no_history_may_be_sent_a_code_at_once()
    {
        Assert.Null(rules.SendWait(state, Start));
    }

    [Fact]
    public void A_resend_inside_the_cooldown_waits_until_the_cooldown_ends()
    {
        Send(Start);

        Assert.Equal(TimeSpan.FromSeconds(45), rules.SendWait(state, Start.AddSeconds(15)));
        Assert.Equal(TimeSpan.FromSeconds(1), rules.SendWait(state, Start.AddSeconds(59)));
        Assert.Null(rules.SendWait(state, Start.AddSeconds(60)));
    }

    [Fact]
    public void The_sixth_send_in_an_hour_waits_until_the_first_leaves_the_window()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Null(rules.SendWait(state, Start.AddMinutes(i * 2)));
            Send(Start.AddMinutes(i * 2));
        }

        var sixth = Start.AddMinutes(20);
        Assert.Equal(TimeSpan.FromMinutes(40), rules.SendWait(state, sixth));
        Assert.Null(rules.SendWait(state, Start.AddHours(1)));
    }

    [Fact]
    public void Sends_that_left_the_hour_are_forgotten()
    {
        Send(Start);
        Send(Start.AddMinutes(30));

        rules.SendWait(state, Start.AddMinutes(61));

        Assert.Equal([Start.AddMinutes(30)], state.SendTimes);
    }

    [Fact]
    public void A_failed_send_counts_toward_the_hourly_cap_but_starts_no_cooldown_and_keeps_the_code()
    {
        Send(Start, hash: 1);
        var later = Start.AddMinutes(2);

        CodeRules.RecordFailedSend(state, later);

        Assert.Null(rules.SendWait(state, later.AddSeconds(1)));
        Assert.Equal(2, state.SendTimes.Count);
        Assert.Equal(Hash(1), state.CodeHash);
        Assert.Equal(Start, state.LastSentAt);
    }

    [Fact]
    public void Failed_sends_alone_reach_the_hourly_cap()
    {
        for (var i = 0; i < 5; i++)
        {
            CodeRules.RecordFailedSend(state, Start.AddSeconds(i));
        }

        Assert.Equal(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(10), rules.SendWait(state, Start.AddSeconds(10)));
    }

    [Fact]
    public void A_new_code_replaces_the_old_one_with_a_fresh_lifetime_and_fresh_attempts()
    {
        Send(Start, hash: 1);
        rules.RecordWrongGuess(state, Start.AddSeconds(5));
        var second = Start.AddMinutes(1);

        Send(second, hash: 2);

        Assert.Equal(Hash(2), state.CodeHash);
        Assert.Equal(second + Otp.CodeLifetime, state.ExpiresAt);
        Assert.Equal(0, state.WrongAttempts);
        Assert.Equal(second, state.LastSentAt);
    }

    [Fact]
    public void A_guess_needs_an_outstanding_code()
    {
        Assert.Equal(CodeCheckStatus.NoCode, rules.CheckGuess(state, Start).Status);
    }

    [Fact]
    public void A_code_is_open_until_its_lifetime_ends_and_expired_from_then_on()
    {
        Send(Start);

        Assert.Equal(CodeCheckStatus.Open, rules.CheckGuess(state, Start.AddSeconds(119)).Status);
        Assert.Equal(CodeCheckStatus.Expired, rules.CheckGuess(state, Start.AddSeconds(120)).Status);
    }

    [Fact]
    public void Each_wrong_guess_costs_one_attempt_and_the_fifth_kills_the_code()
    {
        Send(Start);

        for (var left = 4; left >= 1; left--)
        {
            var guess = rules.RecordWrongGuess(state, Start.AddSeconds(1));
            Assert.False(guess.CodeDead);
            Assert.Equal(left, guess.AttemptsLeft);
        }

        var last = rules.RecordWrongGuess(state, Start.AddSeconds(10));
        Assert.True(last.CodeDead);
        Assert.Equal(50, last.RetryAfterSeconds);
        Assert.Equal(new CodeCheck(CodeCheckStatus.Dead, 50), rules.CheckGuess(state, Start.AddSeconds(10)));
        Assert.Equal([Start.AddSeconds(10)], state.DeadCodeTimes);
    }

    [Fact]
    public void A_dead_code_stays_dead_after_its_cooldown_and_says_a_new_code_may_be_asked_for()
    {
        Send(Start);
        KillCode(Start.AddSeconds(1));

        Assert.Equal(new CodeCheck(CodeCheckStatus.Dead, 0), rules.CheckGuess(state, Start.AddSeconds(61)));
    }

    [Fact]
    public void Three_dead_codes_within_the_hour_lock_the_phone_for_an_hour()
    {
        var at = Start;
        for (var i = 0; i < 3; i++)
        {
            Send(at);
            for (var guess = 1; guess < Otp.MaxAttempts; guess++)
            {
                rules.RecordWrongGuess(state, at.AddSeconds(1));
            }

            var last = rules.RecordWrongGuess(state, at.AddSeconds(1));
            Assert.Equal((true, i == 2), (last.CodeDead, last.PhoneLocked));
            at = at.AddMinutes(2);
        }

        var killed = Start.AddMinutes(4).AddSeconds(1);
        Assert.Equal(killed + TimeSpan.FromHours(1), state.LockedUntil);
        Assert.NotEqual(CodeCheckStatus.Locked, rules.CheckGuess(state, killed + TimeSpan.FromHours(1)).Status);
        Assert.Equal(killed + TimeSpan.FromHours(1), rules.Status(state, killed).LockedUntil);
        Assert.Null(rules.Status(state, killed + TimeSpan.FromHours(1)).LockedUntil);
        Assert.Equal(new CodeCheck(CodeCheckStatus.Locked, 3600), rules.CheckGuess(state, killed));
        Assert.Equal(TimeSpan.FromMinutes(30), rules.SendWait(state, killed.AddMinutes(30)));
        Assert.Null(rules.SendWait(state, killed.AddHours(1)));
        Assert.Null(state.LockedUntil);
    }

    [Fact]
    public void Dead_codes_older_than_an_hour_do_not_count_toward_a_lockout()
    {
        Send(Start);
        KillCode(Start.AddSeconds(1));
        Send(Start.AddMinutes(30));
        KillCode(Start.AddMinutes(30).AddSeconds(1));
        Send(Start.AddMinutes(62));
        KillCode(Start.AddMinutes(62).AddSeconds(1));

        Assert.Null(state.LockedUntil);
        Assert.Equal(2, state.DeadCodeTimes.Count);
    }

    [Fact]
    public void A_dead_code_exactly_an_hour_old_no_longer_counts_and_is_forgotten_at_the_next_send()
    {
        Send(Start);
        KillCode(Start);
        Send(Start.AddMinutes(1));
        KillCode(Start.AddMinutes(1));
        Send(Start.AddHours(1));

        var third = rules.RecordWrongGuess(state, Start.AddHours(1));
        for (var i = 1; i < Otp.MaxAttempts; i++)
        {
            third = rules.RecordWrongGuess(state, Start.AddHours(1));
        }

        Assert.True(third.CodeDead);
        Assert.False(third.PhoneLocked);
        Assert.Equal(2, state.DeadCodeTimes.Count);

        rules.SendWait(state, Start.AddHours(1).AddMinutes(1));
        Assert.Equal([Start.AddHours(1)], state.DeadCodeTimes);
    }

    [Fact]
    public void Codes_that_expire_unguessed_never_lock_the_phone()
    {
        for (var i = 0; i < 5; i++)
        {
            var sent = Start.AddMinutes(i * 3);
            Send(sent);
            Assert.Equal(CodeCheckStatus.Expired, rules.CheckGuess(state, sent + Otp.CodeLifetime).Status);
        }

        Assert.Empty(state.DeadCodeTimes);
        Assert.Null(state.LockedUntil);
    }

    [Fact]
    public void A_spent_code_is_gone_and_takes_the_dead_code_history_with_it()
    {
        Send(Start);
        KillCode(Start.AddSeconds(1));
        Send(Start.AddMinutes(1));

        KillCode(Start.AddMinutes(1));
        Assert.True(state.Dead);
        CodeRules.Spend(state);

        Assert.False(state.Dead);
        Assert.Equal(CodeCheckStatus.NoCode, rules.CheckGuess(state, Start.AddMinutes(1)).Status);
        Assert.Empty(state.DeadCodeTimes);
        Assert.Equal(0, state.WrongAttempts);
    }

    [Fact]
    public void Only_the_code_sent_before_its_consumption_is_the_spent_one()
    {
        Send(Start, hash: 7);
        var binding = new PhoneBindingState { ConsumedCodeHash = Hash(7), ConsumedAt = Start.AddSeconds(30) };

        Assert.True(CodeRules.WasSpent(state, binding));
        Assert.True(CodeRules.WasSpent(state, new PhoneBindingState { ConsumedCodeHash = Hash(7), ConsumedAt = Start }));

        // A test number's fixed code hashes the same every time: the same hash sent after the login is a new code.
        Send(Start.AddMinutes(1), hash: 7);
        Assert.False(CodeRules.WasSpent(state, binding));

        Send(Start, hash: 8);
        Assert.False(CodeRules.WasSpent(state, binding));
        Assert.False(CodeRules.WasSpent(state, new PhoneBindingState()));
    }

    [Fact]
    public void Unlocking_lifts_the_lock_and_drops_a_dead_code_so_a_new_one_may_be_sent_at_once()
    {
        var at = Start;
        for (var i = 0; i < 3; i++)
        {
            Send(at);
            KillCode(at.AddSeconds(1));
            at = at.AddMinutes(2);
        }

        Assert.True(CodeRules.Unlock(state));

        Assert.Null(state.LockedUntil);
        Assert.Empty(state.DeadCodeTimes);
        Assert.Null(state.CodeHash);
        Assert.Null(rules.SendWait(state, at));
        Assert.False(CodeRules.Unlock(state));
    }

    [Fact]
    public void Unlocking_a_phone_with_a_live_code_keeps_the_code_and_its_cooldown()
    {
        Send(Start, hash: 3);
        state.DeadCodeTimes.Add(Start.AddMinutes(-5));

        Assert.True(CodeRules.Unlock(state));

        Assert.Equal(Hash(3), state.CodeHash);
        Assert.NotNull(rules.SendWait(state, Start.AddSeconds(1)));
    }

    [Fact]
    public void The_status_shows_the_outstanding_code_attempts_sends_and_lock_but_not_the_code()
    {
        Send(Start, hash: 5);
        rules.RecordWrongGuess(state, Start.AddSeconds(1));

        var status = rules.Status(state, Start.AddSeconds(2));

        Assert.Equal(new CodeStatus(true, Start + Otp.CodeLifetime, 4, 1, null), status);
        Assert.Equal(new CodeStatus(false, null, 0, 1, null), rules.Status(state, Start + Otp.CodeLifetime));
        Assert.Equal(new CodeStatus(false, null, 0, 0, null), rules.Status(state, Start.AddHours(1)));
    }

    [Fact]
    public void Code_state_decides_nothing_after_its_longest_window()
    {
        Assert.Equal(TimeSpan.FromDays(7), CodeRules.LongestWindow(Otp));
        Assert.Equal(TimeSpan.FromDays(8), CodeRules.LongestWindow(new OtpOptions { LockoutDuration = TimeSpan.FromDays(8) }));
        Assert.Equal(TimeSpan.FromDays(9), CodeRules.LongestWindow(new OtpOptions { ResendCooldown = TimeSpan.FromDays(9) }));
        Assert.Equal(TimeSpan.FromDays(10), CodeRules.LongestWindow(new OtpOptions { CodeLifetime = TimeSpan.FromDays(10) }));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(-3.0, 0)]
    [InlineData(0.1, 1)]
    [InlineData(59.0, 59)]
    [InlineData(59.2, 60)]
    public void Waits_are_whole_seconds_rounded_up(double seconds, int expected)
    {
        Assert.Equal(expected, CodeRules.Seconds(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void The_numbers_come_from_the_options()
    {
        var strict = new CodeRules(new OtpOptions { MaxAttempts = 2, ResendCooldown = TimeSpan.FromSeconds(10), LockoutAfterDeadCodes = 1 });
        strict.RecordSent(state, Hash(1), Start);

        Assert.Equal(TimeSpan.FromSeconds(10), strict.SendWait(state, Start));
        Assert.False(strict.RecordWrongGuess(state, Start).CodeDead);
        Assert.True(strict.RecordWrongGuess(state, Start).CodeDead);
        Assert.Equal(Start + TimeSpan.FromHours(1), state.LockedUntil);
    }

    [Fact]
    public void Wrong_guesses_count_in_a_row_across_codes_and_the_tenth_locks_the_phone_for_an_hour()
    {
        Send(Start, hash: 1);
        KillCode(Start.AddSeconds(1));
        Send(Start.AddMinutes(1), hash: 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.False(failures.RecordWrongGuess(state, Start.AddMinutes(1)).PhoneLocked);
        }

        // The ninth wrong guess in a row leaves the phone open; the tenth locks it, although the code has attempts left.
        Assert.False(failures.RecordWrongGuess(state, Start.AddMinutes(1)).PhoneLocked);
        Assert.Equal(9, state.FailedVerifications);
        var strict = new CodeRules(new OtpOptions { MaxAttempts = 20 });
        var tenth = strict.RecordWrongGuess(state, Start.AddMinutes(2));

        Assert.Equal(new WrongGuess(CodeDead: false, AttemptsLeft: 0, RetryAfterSeconds: 3600, PhoneLocked: true), tenth);
        Assert.Equal(Start.AddMinutes(2) + TimeSpan.FromHours(1), state.LockedUntil);
        Assert.Equal(CodeCheckStatus.Locked, failures.CheckGuess(state, Start.AddMinutes(3)).Status);
        Assert.NotNull(failures.SendWait(state, Start.AddMinutes(3)));
        Assert.Equal(0, state.FailedVerifications);
    }

    [Fact]
    public void Each_lockout_for_wrong_guesses_within_a_week_doubles_up_to_a_day()
    {
        var at = Start;
        var lockouts = new List<TimeSpan>();
        for (var i = 0; i < 7; i++)
        {
            at = LockByFailures(at);
            lockouts.Add(at - state.FailureLockouts[^1]);
        }

        Assert.Equal(new[] { 1, 2, 4, 8, 16, 24, 24 }.Select(h => TimeSpan.FromHours(h)), lockouts);
    }

    [Fact]
    public void A_week_without_a_wrong_guess_forgets_the_count_and_the_lockouts()
    {
        LockByFailures(Start);
        var later = Start + CodeRules.FailureMemory + TimeSpan.FromHours(2);
        Send(later);
        for (var i = 0; i < 9; i++)
        {
            failures.RecordWrongGuess(state, later);
            if (state.Dead)
            {
                Send(later, hash: 2);
            }
        }

        Assert.Equal(9, state.FailedVerifications);
        Assert.Empty(state.FailureLockouts);

        var afterAWeek = later + CodeRules.FailureMemory;
        Assert.Null(failures.SendWait(state, afterAWeek));
        Assert.Equal(0, state.FailedVerifications);
    }

    [Fact]
    public void A_login_clears_the_wrong_guesses_in_a_row()
    {
        Send(Start);
        for (var i = 0; i < 4; i++)
        {
            failures.RecordWrongGuess(state, Start);
        }

        Assert.Equal(4, state.FailedVerifications);
        CodeRules.Spend(state);

        Assert.Equal(0, state.FailedVerifications);
    }

    [Fact]
    public void Unlocking_clears_a_lock_for_wrong_guesses_and_its_history()
    {
        LockByFailures(Start);

        Assert.True(CodeRules.Unlock(state));

        Assert.Null(state.LockedUntil);
        Assert.Empty(state.FailureLockouts);
        Assert.Equal(0, state.FailedVerifications);
    }

    [Fact]
    public void Guessing_as_fast_as_the_rules_allow_gets_an_attacker_110_wrong_guesses_a_week()
    {
        var now = Start;
        var guesses = 0;
        while (now < Start + CodeRules.FailureMemory)
        {
            if (failures.SendWait(state, now) is { } wait)
            {
                now += wait;
                continue;
            }

            failures.RecordSent(state, Hash((byte)(guesses % 250 + 1)), now);
            Assert.Equal(CodeCheckStatus.Open, failures.CheckGuess(state, now).Status);
            while (failures.CheckGuess(state, now).Status == CodeCheckStatus.Open)
            {
                failures.RecordWrongGuess(state, now);
                guesses++;
            }
        }

        // Ten guesses, then locks of 1, 2, 4, 8, 16, 24, 24, 24, 24, 24 h: the eleventh ten come at 151 h, inside the week.
        Assert.Equal(110, guesses);
    }

    /// <summary>Wrong guesses against fresh codes until the phone locks; returns when the lock ends.</summary>
    private DateTimeOffset LockByFailures(DateTimeOffset at)
    {
        var deadline = at.AddDays(1);
        while (state.LockedUntil is null || state.LockedUntil <= at)
        {
            Assert.True(at < deadline, "a day of wrong guesses never locked the phone");
            failures.RecordSent(state, Hash(1), at);
            while (failures.CheckGuess(state, at).Status == CodeCheckStatus.Open)
            {
                failures.RecordWrongGuess(state, at);
            }

            if (state.LockedUntil is null || state.LockedUntil <= at)
            {
                at += Otp.ResendCooldown;
            }
        }

        return state.LockedUntil.Value;
    }

    private void Send(DateTimeOffset at, byte hash = 1) => rules.RecordSent(state, Hash(hash), at);

    private void KillCode(DateTimeOffset at)
    {
        for (var i = 0; i < Otp.MaxAttempts; i++)
        {
            rules.RecordWrongGuess(state, at);
        }
    }

    private static byte[] Hash(byte value) => Enumerable.Repeat(value, 32).ToArray();
}
