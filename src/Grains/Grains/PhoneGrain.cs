using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Storage;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Sms;

namespace QrMahalla.Grains.Grains;

/// <summary>
/// One phone number. Every change that guards against guessing (attempts, dead and consumed codes) is written
/// to storage before the grain answers, so neither a crash nor a deactivation resets a counter.
/// Placed on the silo the call arrives at (the gateway silo the client picked, which spreads them): a new phone
/// is served where its request already is, instead of one more hop to a silo picked at random.
/// </summary>
[PreferLocalPlacement]
public sealed partial class PhoneGrain(
    [PersistentState("code", StorageNames.Auth)] IPersistentState<PhoneCodeState> code,
    [PersistentState("binding", StorageNames.Auth)] IPersistentState<PhoneBindingState> binding,
    OtpCodes codes,
    ISmsSender sms,
    SmsText smsText,
    RuleClock clock,
    IOptions<OtpOptions> otpOptions,
    IOptions<SmsOptions> smsOptions,
    ILogger<PhoneGrain> logger) : Grain, IPhoneGrain
{
    private static readonly TimeSpan SendWindow = TimeSpan.FromHours(1);
    private readonly OtpOptions otp = otpOptions.Value;

    private string Phone => this.GetPrimaryKeyString();

    /// <summary>
    /// Both states are read at activation, in the same storage batch (the group-commit storage answers them in one
    /// round trip), so a verification never waits for a read of its binding.
    /// </summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        FoldSpentCode();
        return Task.CompletedTask;
    }

    public async Task<SendCodeResult> RequestCodeAsync(ClientInfo client)
    {
        var now = clock.UtcNow;
        var state = code.State;
        Prune(state, now);

        if (RetryAfter(state, now) is { } wait)
        {
            return new SendCodeResult(SendCodeStatus.RateLimited, 0, 0, Seconds(wait));
        }

        var testCode = otp.TestCodeFor(Phone);
        var value = testCode ?? codes.Generate();
        try
        {
            if (testCode is null)
            {
                using var timeout = new CancellationTokenSource(smsOptions.Value.Timeout);
                await sms.SendAsync(new SmsMessage(Phone, value, smsText.For(value)), timeout.Token);
            }
        }
        catch (Exception e)
        {
            // A failed send still counts toward the hourly cap, but starts no cooldown and keeps the previous code.
            LogSmsFailed(logger, PhoneMask.Mask(Phone), e.GetType().Name, e.Message);
            state.SendTimes.Add(now);
            await WriteCodeStateAsync();
            return new SendCodeResult(SendCodeStatus.SmsFailed, 0, 0);
        }

        state.CodeHash = codes.Hash(Phone, value);
        state.ExpiresAt = now + otp.CodeLifetime;
        state.WrongAttempts = 0;
        state.Dead = false;
        state.LastSentAt = now;
        state.SendTimes.Add(now);
        await WriteCodeStateAsync();
        return new SendCodeResult(SendCodeStatus.Sent, Seconds(otp.CodeLifetime), Seconds(otp.ResendCooldown));
    }

    public async Task<VerifyResult> VerifyAsync(string candidate, DeviceInfo device)
    {
        var now = clock.UtcNow;
        var state = code.State;

        if (state.LockedUntil > now)
        {
            return new VerifyResult(VerifyStatus.RateLimited, RetryAfterSeconds: Seconds(state.LockedUntil.Value - now));
        }

        if (state.CodeHash is null || state.ExpiresAt is null)
        {
            return new VerifyResult(VerifyStatus.InvalidCode);
        }

        if (state.Dead)
        {
            return new VerifyResult(VerifyStatus.TooManyAttempts, RetryAfterSeconds: ResendWait(state, now));
        }

        if (now >= state.ExpiresAt)
        {
            return new VerifyResult(VerifyStatus.CodeExpired);
        }

        if (!codes.IsWellFormed(candidate) || !codes.Matches(state.CodeHash, Phone, candidate))
        {
            return await RecordWrongGuessAsync(state, now);
        }

        // One durable write consumes the code and, on the first login, binds a new user id. If the process dies
        // after it, the phone is bound and the next correct code completes the registration under that id.
        var bound = binding.State;
        var newUser = bound.UserId is null;
        bound.UserId ??= Guid.NewGuid();
        bound.BoundAt ??= now;
        bound.ConsumedCodeHash = state.CodeHash;
        bound.ConsumedAt = now;
        var userId = bound.UserId.Value;
        var account = GrainFactory.GetGrain<IUserGrain>(userId);

        // The account activates (reads its row) while the binding is written: the read and the write share a storage
        // batch instead of following each other. Nothing signs in before the binding is durable, and the code is
        // spent in memory as soon as it is spent in storage, whatever the account's activation does.
        await Task.WhenAll(SpendCodeAsync(), account.GetAccountAsync());

        async Task SpendCodeAsync()
        {
            await binding.WriteStateAsync();
            ForgetCode(state);
        }

        var signIn = await account.SignInAsync(Phone, device);
        if (signIn.Status == SignInStatus.Deleted)
        {
            // The bound account was deleted (its unbinding may not have run yet): this login starts a new one.
            bound.UserId = userId = Guid.NewGuid();
            bound.BoundAt = now;
            await binding.WriteStateAsync();
            newUser = true;
            signIn = await GrainFactory.GetGrain<IUserGrain>(userId).SignInAsync(Phone, device);
        }

        return signIn.Status == SignInStatus.Success
            ? new VerifyResult(VerifyStatus.Success, Tokens: signIn.Tokens, User: signIn.User, NewUser: newUser)
            : new VerifyResult(VerifyStatus.UserInactive);
    }

    public async Task UnbindAsync(Guid userId)
    {
        if (binding.State.UserId == userId)
        {
            // The consumed-code record goes with the binding, so spend the code in the code state first.
            if (code.RecordExists)
            {
                await WriteCodeStateAsync();
            }

            await ClearBindingAsync();
        }
    }

    public Task<Guid?> GetUserIdAsync() => Task.FromResult(binding.State.UserId);

    public Task<PhoneStatus> GetStatusAsync() => Task.FromResult(Status(clock.UtcNow));

    public async Task<PhoneStatus> UnlockAsync()
    {
        var state = code.State;
        if (state.LockedUntil is not null || state.DeadCodeTimes.Count > 0 || state.Dead)
        {
            state.LockedUntil = null;
            state.DeadCodeTimes.Clear();
            if (state.Dead)
            {
                // The dead code stays unusable; the phone may ask for a new one at once.
                state.CodeHash = null;
                state.ExpiresAt = null;
                state.Dead = false;
                state.WrongAttempts = 0;
                state.LastSentAt = null;
            }

            await WriteCodeStateAsync();
        }

        return Status(clock.UtcNow);
    }

    public async Task<ImportStatus> ImportAsync(LegacyUser legacy)
    {
        var userId = LegacyIds.UserId(legacy.LegacyId);
        if (binding.State.UserId is { } bound && bound != userId)
        {
            return ImportStatus.PhoneTaken;
        }

        // Bind first, as a first login does: a crash after this leaves a binding that the next run completes.
        if (binding.State.UserId is null)
        {
            binding.State.UserId = userId;
            binding.State.BoundAt = clock.UtcNow;
            await binding.WriteStateAsync();
        }

        var status = await GrainFactory.GetGrain<IUserGrain>(userId).ImportAsync(Phone, legacy);
        if (status is ImportStatus.DeletedSinceImport or ImportStatus.PhoneTaken && binding.State.UserId == userId)
        {
            await ClearBindingAsync();
        }

        return status;
    }

    private PhoneStatus Status(DateTimeOffset now)
    {
        var state = code.State;
        var outstanding = state is { CodeHash: not null, Dead: false } && state.ExpiresAt > now;
        return new PhoneStatus(
            Phone,
            binding.State.UserId,
            outstanding,
            outstanding ? state.ExpiresAt : null,
            outstanding ? Math.Max(otp.MaxAttempts - state.WrongAttempts, 0) : 0,
            state.SendTimes.Count(t => t > now - SendWindow),
            state.LockedUntil > now ? state.LockedUntil : null);
    }

    /// <summary>
    /// Folds the binding's record of the consumed code into the code state: the code state is not rewritten on
    /// success, so this record is what makes a used code spent (and clears the dead-code count) in a reactivated
    /// grain. A test number's fixed code hashes the same every time, so the hash alone cannot tell a spent code from a
    /// new one: only a code sent before the consumption was recorded is the spent one.
    /// </summary>
    private void FoldSpentCode()
    {
        var state = code.State;
        var bound = binding.State;
        if (state.CodeHash is { } hash && bound.ConsumedCodeHash is { } consumed
            && state.LastSentAt <= bound.ConsumedAt
            && CryptographicOperations.FixedTimeEquals(hash, consumed))
        {
            ForgetCode(state);
        }
    }

    private async Task ClearBindingAsync()
    {
        await binding.ClearStateAsync();
        binding.State = new PhoneBindingState();
    }

    private async Task<VerifyResult> RecordWrongGuessAsync(PhoneCodeState state, DateTimeOffset now)
    {
        state.WrongAttempts++;
        if (state.WrongAttempts < otp.MaxAttempts)
        {
            await WriteCodeStateAsync();
            return new VerifyResult(VerifyStatus.InvalidCode, AttemptsLeft: otp.MaxAttempts - state.WrongAttempts);
        }

        state.Dead = true;
        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);
        state.DeadCodeTimes.Add(now);
        if (state.DeadCodeTimes.Count >= otp.LockoutAfterDeadCodes)
        {
            state.LockedUntil = now + otp.LockoutDuration;
        }

        await WriteCodeStateAsync();
        return new VerifyResult(VerifyStatus.TooManyAttempts, RetryAfterSeconds: ResendWait(state, now));
    }

    /// <summary>
    /// Writes the code state. The sweep may have deleted this phone's row because every window in it had passed;
    /// the write then meets no row at the version it holds, and the state is simply written anew.
    /// </summary>
    private async Task WriteCodeStateAsync()
    {
        try
        {
            await code.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            var pending = code.State;
            await code.ReadStateAsync();
            if (code.RecordExists)
            {
                throw;
            }

            code.State = pending;
            await code.WriteStateAsync();
        }
    }

    private static void ForgetCode(PhoneCodeState state)
    {
        state.CodeHash = null;
        state.ExpiresAt = null;
        state.WrongAttempts = 0;
        state.Dead = false;
        state.DeadCodeTimes.Clear();
    }

    private TimeSpan? RetryAfter(PhoneCodeState state, DateTimeOffset now)
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

    private int ResendWait(PhoneCodeState state, DateTimeOffset now) =>
        RetryAfter(state, now) is { } wait ? Seconds(wait) : 0;

    private static void Prune(PhoneCodeState state, DateTimeOffset now)
    {
        state.SendTimes.RemoveAll(t => t <= now - SendWindow);
        state.DeadCodeTimes.RemoveAll(t => t <= now - SendWindow);
        if (state.LockedUntil <= now)
        {
            state.LockedUntil = null;
        }
    }

    private static int Seconds(TimeSpan span) => (int)Math.Ceiling(Math.Max(span.TotalSeconds, 0));

    /// <summary>The provider's own message never holds the code: senders build it from status codes only.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS to {Phone} failed ({Reason}: {Detail}); the previous code stays valid")]
    private static partial void LogSmsFailed(ILogger logger, string phone, string reason, string detail);
}

public static class StorageNames
{
    public const string Auth = "auth";
}
