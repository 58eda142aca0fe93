using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Grains.Grains;

/// <summary>One account and its device sessions. Only a <see cref="PhoneGrain"/> that accepted a code signs in here.</summary>
public sealed class UserGrain(
    [PersistentState("user", StorageNames.Auth)] IPersistentState<UserState> user,
    TokenIssuer tokens,
    RuleClock clock,
    IOptions<JwtOptions> jwtOptions) : Grain, IUserGrain
{
    public const int FirstNameMax = 100;
    public const int LastNameMax = 100;
    public const int PassportIdMax = 20;
    public const int AddressMax = 500;

    private readonly JwtOptions jwt = jwtOptions.Value;

    private Guid Id => this.GetPrimaryKey();

    private UserState State => user.State;

    public async Task<SignInResult> SignInAsync(string phone, DeviceInfo device)
    {
        var now = clock.UtcNow;
        if (State.Deleted)
        {
            return new SignInResult(SignInStatus.Deleted);
        }

        if (!State.Registered)
        {
            State.Registered = true;
            State.Phone = phone;
            State.DateJoined = now;
            State.IsVerified = true;
            State.IsActive = true;
            State.Role = UserRoles.User;
        }
        else if (!State.IsActive)
        {
            return new SignInResult(SignInStatus.UserInactive);
        }

        var deviceId = string.IsNullOrWhiteSpace(device.DeviceId) ? $"web-{RandomId()}" : device.DeviceId;
        var session = new SessionState
        {
            SessionId = RandomId(),
            DeviceId = deviceId,
            DeviceName = device.DeviceName ?? "",
            Ip = device.Ip,
            UserAgent = device.UserAgent,
            CreatedAt = now,
            LastSeenAt = now,
            RefreshTokenId = TokenIssuer.NewTokenId(),
        };
        State.Sessions[deviceId] = session;
        EvictLeastRecentlyUsed();

        await user.WriteStateAsync();
        return new SignInResult(SignInStatus.Success, tokens.Issue(Id, session.SessionId, State.Role, session.RefreshTokenId), Summary());
    }

    public async Task<RefreshResult> RefreshAsync(RefreshRequest request)
    {
        if (!State.Registered || FindSession(request.SessionId) is not { } session)
        {
            return new RefreshResult(RefreshStatus.InvalidToken);
        }

        if (!State.IsActive)
        {
            return new RefreshResult(RefreshStatus.UserInactive);
        }

        var now = clock.UtcNow;
        if (jwt.RefreshReuseGrace > TimeSpan.Zero
            && string.Equals(session.PreviousRefreshTokenId, request.TokenId, StringComparison.Ordinal)
            && now - session.RotatedAt <= jwt.RefreshReuseGrace)
        {
            // The same client retrying a refresh whose answer it lost: it gets the session's current pair (same jti),
            // nothing rotates, and nothing is written.
            return new RefreshResult(RefreshStatus.Success, tokens.Issue(Id, session.SessionId, State.Role, session.RefreshTokenId));
        }

        if (!string.Equals(session.RefreshTokenId, request.TokenId, StringComparison.Ordinal))
        {
            // A refresh token that was already rotated away is being replayed: whoever holds it may be a thief.
            State.Sessions.Remove(session.DeviceId);
            await user.WriteStateAsync();
            return new RefreshResult(RefreshStatus.InvalidToken);
        }

        session.LastSeenAt = now;
        session.Ip = request.Client.Ip ?? session.Ip;
        session.UserAgent = request.Client.UserAgent ?? session.UserAgent;

        TokenPair pair;
        if (jwt.RotateRefreshTokens)
        {
            session.PreviousRefreshTokenId = session.RefreshTokenId;
            session.RotatedAt = now;
            session.RefreshTokenId = TokenIssuer.NewTokenId();
            pair = tokens.Issue(Id, session.SessionId, State.Role, session.RefreshTokenId);
        }
        else
        {
            pair = new TokenPair(tokens.IssueAccess(Id, session.SessionId, State.Role), request.Token);
        }

        await user.WriteStateAsync();
        return new RefreshResult(RefreshStatus.Success, pair);
    }

    public Task<bool> IsSessionLiveAsync(string sessionId) => Task.FromResult(IsLive(sessionId));

    public Task<ProfileResult> GetProfileAsync(string sessionId) =>
        Task.FromResult(IsLive(sessionId) ? new ProfileResult(AccountStatus.Ok, Profile()) : Revoked());

    public async Task<ProfileResult> UpdateProfileAsync(string sessionId, ProfileUpdate update)
    {
        if (!IsLive(sessionId))
        {
            return Revoked();
        }

        if (Validate(update) is { } error)
        {
            return new ProfileResult(AccountStatus.Invalid, Error: error);
        }

        State.FirstName = update.FirstName?.Trim() ?? State.FirstName;
        State.LastName = update.LastName?.Trim() ?? State.LastName;
        State.PassportId = update.PassportId?.Trim() ?? State.PassportId;
        State.Address = update.Address?.Trim() ?? State.Address;
        await user.WriteStateAsync();
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
        if (FindSession(sessionId) is not { } session)
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

    public async Task<DeleteAccountResult> DeleteAccountAsync(string sessionId)
    {
        if (!IsLive(sessionId))
        {
            return new DeleteAccountResult(AccountStatus.SessionRevoked);
        }

        // Profile and sessions go now, leaving only a tombstone, so a login racing this deletion cannot bring the
        // account back. This grain never calls the phone grain (which may be calling it): the caller unbinds the
        // phone next, and a crash before that is healed by the next login, which finds the tombstone and binds anew.
        var phone = State.Phone;
        user.State = new UserState { Deleted = true };
        await user.WriteStateAsync();
        return new DeleteAccountResult(AccountStatus.Ok, phone);
    }

    public async Task SetActiveAsync(bool active)
    {
        if (State.Registered && State.IsActive != active)
        {
            State.IsActive = active;
            await user.WriteStateAsync();
        }
    }

    private bool IsLive(string sessionId) => State is { Registered: true, IsActive: true } && FindSession(sessionId) is not null;

    private SessionState? FindSession(string sessionId) =>
        State.Sessions.Values.FirstOrDefault(s => string.Equals(s.SessionId, sessionId, StringComparison.Ordinal));

    private void EvictLeastRecentlyUsed()
    {
        while (State.Sessions.Count > jwt.MaxSessionsPerUser)
        {
            var oldest = State.Sessions.Values.MinBy(s => s.LastSeenAt)!;
            State.Sessions.Remove(oldest.DeviceId);
        }
    }

    private static string? Validate(ProfileUpdate update) =>
        update.FirstName?.Length > FirstNameMax ? $"first_name must be at most {FirstNameMax} characters."
        : update.LastName?.Length > LastNameMax ? $"last_name must be at most {LastNameMax} characters."
        : update.PassportId?.Length > PassportIdMax ? $"passport_id must be at most {PassportIdMax} characters."
        : update.Address?.Length > AddressMax ? $"address must be at most {AddressMax} characters."
        : null;

    private static ProfileResult Revoked() => new(AccountStatus.SessionRevoked);

    private static string RandomId() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12));

    private UserSummary Summary() => new(Id, State.Phone, State.Role, State.FirstName, State.LastName);

    private UserProfile Profile() => new(
        Id, State.Phone, State.FirstName, State.LastName, State.PassportId, State.Address, State.Role,
        State.IsActive, State.IsVerified, State.IsStaff, State.DateJoined);
}
