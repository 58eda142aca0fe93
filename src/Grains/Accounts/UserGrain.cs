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
            case RefreshOutcome.Replayed or RefreshOutcome.Ended:
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

        var live = sessions.Live(State, clock.UtcNow)
            .OrderByDescending(s => s.LastSeenAt)
            .Select(s => new SessionView(s.DeviceId, s.DeviceName, s.Ip, s.UserAgent, s.CreatedAt, s.LastSeenAt, s.SessionId == sessionId))
            .ToList();
        return Task.FromResult(new SessionsResult(AccountStatus.Ok, live));
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

    private bool IsLive(string sessionId) => sessions.IsLive(State, sessionId, clock.UtcNow);

    private TokenPair Issue(SessionState session) =>
        tokens.Issue(Id, session.SessionId, State.Role, session.RefreshTokenId, sessions.AbsoluteEnd(session));

    private static ProfileResult Revoked() => new(AccountStatus.SessionRevoked);

    private static string RandomId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));

    private UserSummary Summary() => new(Id, State.Phone, State.Role, State.FirstName, State.LastName);

    private UserProfile Profile() => new(
        Id, State.Phone, State.FirstName, State.LastName, State.PassportId, State.Address, State.Role,
        State.IsActive, State.IsVerified, State.IsStaff, State.DateJoined);
}
