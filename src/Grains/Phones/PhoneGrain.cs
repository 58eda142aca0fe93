using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Orleans.Storage;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Rules;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Phones;

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
    private readonly OtpOptions otp = otpOptions.Value;
    private readonly CodeRules rules = new(otpOptions.Value);

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
        if (rules.SendWait(state, now) is { } wait)
        {
            return new SendCodeResult(SendCodeStatus.RateLimited, 0, 0, CodeRules.Seconds(wait));
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
            CodeRules.RecordFailedSend(state, now);
            await WriteCodeStateAsync();
            return new SendCodeResult(SendCodeStatus.SmsFailed, 0, 0);
        }

        rules.RecordSent(state, codes.Hash(Phone, value), now);
        await WriteCodeStateAsync();
        return new SendCodeResult(SendCodeStatus.Sent, CodeRules.Seconds(otp.CodeLifetime), CodeRules.Seconds(otp.ResendCooldown));
    }

    public async Task<VerifyResult> VerifyAsync(string candidate, DeviceInfo device)
    {
        var now = clock.UtcNow;
        var state = code.State;

        var check = rules.CheckGuess(state, now);
        switch (check.Status)
        {
            case CodeCheckStatus.Locked:
                return new VerifyResult(VerifyStatus.RateLimited, RetryAfterSeconds: check.RetryAfterSeconds);
            case CodeCheckStatus.NoCode:
                return new VerifyResult(VerifyStatus.InvalidCode);
            case CodeCheckStatus.Dead:
                return new VerifyResult(VerifyStatus.TooManyAttempts, RetryAfterSeconds: check.RetryAfterSeconds);
            case CodeCheckStatus.Expired:
                return new VerifyResult(VerifyStatus.CodeExpired);
        }

        if (!codes.IsWellFormed(candidate) || !codes.Matches(state.CodeHash!, Phone, candidate))
        {
            var guess = rules.RecordWrongGuess(state, now);
            await WriteCodeStateAsync();
            return guess switch
            {
                { CodeDead: true } => new VerifyResult(VerifyStatus.TooManyAttempts, RetryAfterSeconds: guess.RetryAfterSeconds),
                { PhoneLocked: true } => new VerifyResult(VerifyStatus.RateLimited, RetryAfterSeconds: guess.RetryAfterSeconds),
                _ => new VerifyResult(VerifyStatus.InvalidCode, AttemptsLeft: guess.AttemptsLeft),
            };
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
            CodeRules.Spend(state);
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
        if (CodeRules.Unlock(code.State))
        {
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
        var status = rules.Status(code.State, now);
        return new PhoneStatus(
            Phone, binding.State.UserId, status.Outstanding, status.ExpiresAt, status.AttemptsLeft, status.SendsInWindow, status.LockedUntil);
    }

    /// <summary>The code state is not rewritten on a login: the binding's record of the consumed code spends it here.</summary>
    private void FoldSpentCode()
    {
        if (CodeRules.WasSpent(code.State, binding.State))
        {
            CodeRules.Spend(code.State);
        }
    }

    private async Task ClearBindingAsync()
    {
        await binding.ClearStateAsync();
        binding.State = new PhoneBindingState();
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

    /// <summary>The provider's own message never holds the code: senders build it from status codes only.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS to {Phone} failed ({Reason}: {Detail}); the previous code stays valid")]
    private static partial void LogSmsFailed(ILogger logger, string phone, string reason, string detail);
}
