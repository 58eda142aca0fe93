using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Orleans.Placement;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Rules;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Telemetry;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Grains.Accounts;

/// <summary>
/// One account and its device sessions. Only a <see cref="PhoneGrain"/> that accepted a code signs in here. After
/// each change to what staff search on, the grain upserts its row of the users read model: off the request on user
/// paths (retried with backoff while the grain lives), before answering on staff paths.
/// Placed on the silo of its caller: a sign-in arrives from the phone grain, so the account activates beside it.
/// </summary>
[PreferLocalPlacement]
public sealed partial class UserGrain(
    [PersistentState("user", StorageNames.Auth)] IPersistentState<UserState> user,
    TokenIssuer tokens,
    RuleClock clock,
    IOptions<JwtOptions> jwtOptions,
    AdminPhones adminPhones,
    IAdminStore adminStore,
    AuditLog audit,
    QrMahallaMetrics metrics,
    ILogger<UserGrain> logger) : Grain, IUserGrain
{
    private readonly SessionRules sessions = new(jwtOptions.Value);

    private Guid Id => this.GetPrimaryKey();

    private UserState State => user.State;

    private IGrainTimer? indexRetry;
    private int indexFailures;

    public async Task<SignInResult> SignInAsync(string phone, DeviceInfo device)
    {
        var now = clock.UtcNow;
        if (State.Deleted)
        {
            return new SignInResult(SignInStatus.Deleted);
        }

        var revision = State.Revision;

        if (!State.Registered)
        {
            State.Registered = true;
            State.Phone = phone;
            State.DateJoined = now;
            State.IsVerified = true;
            State.IsActive = true;
            State.Role = UserRoles.User;
            State.Revision++;
        }
        else if (!State.IsActive)
        {
            return new SignInResult(SignInStatus.UserInactive);
        }

        // A correct code proves the phone, also for a user imported unverified from the old service.
        State.IsVerified = true;

        if (State.Role != UserRoles.Admin && adminPhones.Contains(phone))
        {
            State.Role = UserRoles.Admin;
            State.Revision++;
        }

        var session = sessions.Open(State, device, now, new NewIds(RandomId(), TokenIssuer.NewTokenId(), RandomId()));
        await user.WriteStateAsync();
        if (State.Revision != revision)
        {
            // Only what is stored goes to the read model, and only after the response (the timer runs next turn).
            ScheduleIndex();
        }

        return new SignInResult(SignInStatus.Success, Issue(session), Summary());
    }

    public async Task<RefreshResult> RefreshAsync(RefreshRequest request)
    {
        var decision = sessions.Refresh(State, request, clock.UtcNow, TokenIssuer.NewTokenId);
        switch (decision.Outcome)
        {
            case RefreshOutcome.UserInactive:
                return new RefreshResult(RefreshStatus.UserInactive);
            case RefreshOutcome.Unknown:
                return new RefreshResult(RefreshStatus.InvalidToken);
            case RefreshOutcome.Replayed:
                await user.WriteStateAsync();
                return new RefreshResult(RefreshStatus.InvalidToken);
            case RefreshOutcome.Retried:
                return new RefreshResult(RefreshStatus.Success, Issue(decision.Session!));
            case RefreshOutcome.Rotated:
                await user.WriteStateAsync();
                return new RefreshResult(RefreshStatus.Success, Issue(decision.Session!));
            default:
                await user.WriteStateAsync();
                return new RefreshResult(
                    RefreshStatus.Success, new TokenPair(tokens.IssueAccess(Id, decision.Session!.SessionId, State.Role), request.Token));
        }
    }

    public Task<ProfileResult> GetProfileAsync(string sessionId) =>
        Task.FromResult(IsLive(sessionId) ? new ProfileResult(AccountStatus.Ok, Profile()) : Revoked());

    public async Task<ProfileResult> UpdateProfileAsync(string sessionId, ProfileUpdate update)
    {
        if (!IsLive(sessionId))
        {
            return Revoked();
        }

        if (AccountRules.Validate(update) is { } error)
        {
            return new ProfileResult(AccountStatus.Invalid, Error: error);
        }

        State.FirstName = update.FirstName?.Trim() ?? State.FirstName;
        State.LastName = update.LastName?.Trim() ?? State.LastName;
        State.PassportId = update.PassportId?.Trim() ?? State.PassportId;
        State.Address = update.Address?.Trim() ?? State.Address;
        State.Revision++;
        await user.WriteStateAsync();
        ScheduleIndex();
        return new ProfileResult(AccountStatus.Ok, Profile());
    }

    public Task<SessionsResult> GetSessionsAsync(string sessionId)
    {
        if (!IsLive(sessionId))
        {
            return Task.FromResult(new SessionsResult(AccountStatus.SessionRevoked, []));
        }

        var sessions = State.Sessions.Values
            .OrderByDescending(s => s.LastSeenAt)
            .Select(s => new SessionView(s.DeviceId, s.DeviceName, s.Ip, s.UserAgent, s.CreatedAt, s.LastSeenAt, s.SessionId == sessionId))
            .ToList();
        return Task.FromResult(new SessionsResult(AccountStatus.Ok, sessions));
    }

    public async Task<RevokeResult> RevokeDeviceAsync(string sessionId, string deviceId)
    {
        if (!IsLive(sessionId))
        {
            return new RevokeResult(AccountStatus.SessionRevoked);
        }

        if (!State.Sessions.Remove(deviceId))
        {
            return new RevokeResult(AccountStatus.NotFound);
        }

        await user.WriteStateAsync();
        return new RevokeResult(AccountStatus.Ok);
    }

    public async Task<RevokeResult> LogoutAsync(string sessionId)
    {
        if (SessionRules.Find(State, sessionId) is not { } session)
        {
            return new RevokeResult(AccountStatus.SessionRevoked);
        }

        State.Sessions.Remove(session.DeviceId);
        await user.WriteStateAsync();
        return new RevokeResult(AccountStatus.Ok);
    }

    public async Task<RevokeResult> LogoutAllAsync(string sessionId)
    {
        if (!IsLive(sessionId))
        {
            return new RevokeResult(AccountStatus.SessionRevoked);
        }

        State.Sessions.Clear();
        await user.WriteStateAsync();
        return new RevokeResult(AccountStatus.Ok);
    }

    public async Task<DeleteAccountResult> DeleteAccountAsync(string sessionId, ClientInfo client)
    {
        if (!IsLive(sessionId))
        {
            return new DeleteAccountResult(AccountStatus.SessionRevoked);
        }

        await audit.RecordAsync(Id, State.Phone, "account.delete", Id.ToString(), null, client.Ip);
        return await WipeCoreAsync();
    }

    public Task<string?> GetAdminPhoneAsync(string sessionId) =>
        Task.FromResult(IsLive(sessionId) && State.Role == UserRoles.Admin ? State.Phone : null);

    public Task<AdminUserView?> GetAccountAsync() => Task.FromResult(Exists ? Account() : null);

    public async Task<AdminResult<AdminUserView>> UpdateAccountAsync(AdminUserUpdate update)
    {
        if (!Exists)
        {
            return new AdminResult<AdminUserView>(AdminStatus.NotFound);
        }

        if (AccountRules.Validate(update) is { } error)
        {
            return new AdminResult<AdminUserView>(AdminStatus.Invalid, Error: error);
        }

        State.FirstName = update.FirstName?.Trim() ?? State.FirstName;
        State.LastName = update.LastName?.Trim() ?? State.LastName;
        State.Role = update.Role ?? State.Role;
        if (update.IsActive is { } active && active != State.IsActive)
        {
            State.IsActive = active;
            if (!active)
            {
                // A deactivated user's sessions die now, not when their tokens run out; reactivating revives none.
                State.Sessions.Clear();
            }
        }

        State.Revision++;
        await user.WriteStateAsync();
        await IndexNowAsync();
        return new AdminResult<AdminUserView>(AdminStatus.Ok, Account());
    }

    public async Task<int?> RevokeAllSessionsAsync()
    {
        if (!Exists)
        {
            return null;
        }

        var count = State.Sessions.Count;
        if (count > 0)
        {
            State.Sessions.Clear();
            await user.WriteStateAsync();
        }

        return count;
    }

    public Task<DeleteAccountResult> WipeAsync() =>
        Exists ? WipeCoreAsync() : Task.FromResult(new DeleteAccountResult(AccountStatus.NotFound));

    public async Task<ImportStatus> ImportAsync(string phone, LegacyUser legacy)
    {
        if (State.Deleted)
        {
            return ImportStatus.DeletedSinceImport;
        }

        if (State.Registered)
        {
            return State.LegacyId == legacy.LegacyId && State.Phone == phone ? ImportStatus.AlreadyImported : ImportStatus.PhoneTaken;
        }

        State.Registered = true;
        State.Phone = phone;
        State.FirstName = legacy.FirstName;
        State.LastName = legacy.LastName;
        State.PassportId = legacy.PassportId;
        State.Address = legacy.Address;
        State.Role = legacy.Role;
        State.IsActive = legacy.IsActive;
        State.IsVerified = legacy.IsVerified;
        State.IsStaff = legacy.IsStaff;
        State.DateJoined = legacy.DateJoined;
        State.LegacyId = legacy.LegacyId;
        State.Revision++;
        await user.WriteStateAsync();
        await IndexNowAsync();
        return ImportStatus.Imported;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (indexRetry is not null)
        {
            // Last chance for a pending read-model row; QrMahalla.Silo reindex repairs whatever is still missed.
            try
            {
                await IndexAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogIndexFailed(logger, e, indexFailures);
            }
        }
    }

    private bool Exists => State is { Registered: true, Deleted: false };

    private async Task<DeleteAccountResult> WipeCoreAsync()
    {
        // Profile and sessions go now, leaving only a tombstone, so a login racing this deletion cannot bring the
        // account back. This grain never calls the phone grain (which may be calling it): AccountDeletionGrain
        // unbinds the phone next, and a crash before that is healed by the next login, which finds the tombstone and
        // binds anew.
        // The tombstone keeps the old id of an imported user, so a second import does not bring the account back.
        var phone = State.Phone;
        user.State = new UserState { Deleted = true, LegacyId = State.LegacyId, Revision = State.Revision + 1 };
        await user.WriteStateAsync();
        await IndexNowAsync();
        return new DeleteAccountResult(AccountStatus.Ok, phone);
    }

    /// <summary>Upserts (or, for a tombstone, deletes) this user's read-model row; on failure, retries in the background.</summary>
    private async Task IndexNowAsync()
    {
        try
        {
            await IndexAsync(CancellationToken.None);
            indexRetry?.Dispose();
            indexRetry = null;
        }
        catch (Exception e)
        {
            metrics.ReadModelWriteFailed();
            LogIndexFailed(logger, e, 1);
            ScheduleIndex(TimeSpan.FromSeconds(1));
        }
    }

    private void ScheduleIndex(TimeSpan? due = null)
    {
        indexRetry ??= this.RegisterGrainTimer(IndexFromTimerAsync, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        indexRetry.Change(due ?? TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private async Task IndexFromTimerAsync(CancellationToken cancellationToken)
    {
        try
        {
            await IndexAsync(cancellationToken);
            indexFailures = 0;
            indexRetry?.Dispose();
            indexRetry = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            indexFailures++;
            metrics.ReadModelWriteFailed();
            LogIndexFailed(logger, e, indexFailures);
            indexRetry?.Change(TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, indexFailures))), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Always the current state, not a snapshot: the last write wins, whatever order retries run in.</summary>
    private Task IndexAsync(CancellationToken cancellationToken) => State switch
    {
        { Deleted: true } => adminStore.DeleteUserAsync(Id, cancellationToken),
        { Registered: true } => adminStore.UpsertUserAsync(Row(), State.Revision, cancellationToken),
        _ => Task.CompletedTask,
    };

    private bool IsLive(string sessionId) => SessionRules.IsLive(State, sessionId);

    private TokenPair Issue(SessionState session) => tokens.Issue(Id, session.SessionId, State.Role, session.RefreshTokenId);

    private static ProfileResult Revoked() => new(AccountStatus.SessionRevoked);

    private static string RandomId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));

    private UserSummary Summary() => new(Id, State.Phone, State.Role, State.FirstName, State.LastName);

    private UserProfile Profile() => new(
        Id, State.Phone, State.FirstName, State.LastName, State.PassportId, State.Address, State.Role,
        State.IsActive, State.IsVerified, State.IsStaff, State.DateJoined);

    private AdminUserView Account() => new(
        Profile(),
        State.LegacyId,
        State.Sessions.Values.OrderByDescending(s => s.LastSeenAt)
            .Select(s => new SessionView(s.DeviceId, s.DeviceName, s.Ip, s.UserAgent, s.CreatedAt, s.LastSeenAt, false))
            .ToList());

    private UserRow Row() => new(
        Id, State.Phone, State.FirstName, State.LastName, State.Role, State.IsActive, State.IsStaff, State.DateJoined, State.LegacyId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Users read model upsert failed (attempt {Attempt}); retrying in the background")]
    private static partial void LogIndexFailed(ILogger logger, Exception exception, int attempt);
}
