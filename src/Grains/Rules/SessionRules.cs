using QrMahalla.Grains.Accounts;
using QrMahalla.Grains.Options;

namespace QrMahalla.Grains.Rules;

/// <summary>
/// The life of an account's device sessions: opening one per device (the least recently used goes past the cap),
/// refreshing (rotation, a retry inside the grace, a replayed token revoking its session), their absolute and idle
/// lifetimes, and which sessions are live. Pure: the state, the time and fresh random ids come in; the grain persists
/// and mints the tokens.
/// </summary>
public sealed class SessionRules(JwtOptions jwt)
{
    /// <summary>Opens (or replaces) the session of one device and evicts the least recently used past the cap.</summary>
    public SessionState Open(UserState user, DeviceInfo device, DateTimeOffset now, NewIds ids)
    {
        Prune(user, now);
        var deviceId = string.IsNullOrWhiteSpace(device.DeviceId) ? $"web-{ids.DeviceSuffix}" : device.DeviceId;
        var session = new SessionState
        {
            SessionId = ids.SessionId,
            DeviceId = deviceId,
            DeviceName = device.DeviceName ?? "",
            Ip = device.Ip,
            UserAgent = device.UserAgent,
            CreatedAt = now,
            LastSeenAt = now,
            RefreshTokenId = ids.RefreshTokenId,
        };
        user.Sessions[deviceId] = session;
        while (user.Sessions.Count > jwt.MaxSessionsPerUser)
        {
            var oldest = user.Sessions.Values.MinBy(s => s.LastSeenAt)!;
            user.Sessions.Remove(oldest.DeviceId);
        }

        return session;
    }

    /// <summary>
    /// What a refresh token presented for a session does. <paramref name="newTokenId"/> is called only when the
    /// session's refresh token rotates.
    /// </summary>
    public RefreshDecision Refresh(UserState user, RefreshRequest request, DateTimeOffset now, Func<string> newTokenId)
    {
        // A deactivated user's sessions are gone, but its (validly signed) refresh token still learns why.
        if (user is { Registered: true, IsActive: false })
        {
            return new RefreshDecision(RefreshOutcome.UserInactive);
        }

        if (!user.Registered || Find(user, request.SessionId) is not { } session)
        {
            return new RefreshDecision(RefreshOutcome.Unknown);
        }

        if (HasEnded(session, now))
        {
            user.Sessions.Remove(session.DeviceId);
            return new RefreshDecision(RefreshOutcome.Ended);
        }

        if (jwt.RefreshReuseGrace > TimeSpan.Zero
            && string.Equals(session.PreviousRefreshTokenId, request.TokenId, StringComparison.Ordinal)
            && now - session.RotatedAt <= jwt.RefreshReuseGrace)
        {
            // The same client retrying a refresh whose answer it lost: the session's current pair, nothing rotates.
            return new RefreshDecision(RefreshOutcome.Retried, session);
        }

        if (!string.Equals(session.RefreshTokenId, request.TokenId, StringComparison.Ordinal))
        {
            // A refresh token that was already rotated away is being replayed: whoever holds it may be a thief.
            user.Sessions.Remove(session.DeviceId);
            return new RefreshDecision(RefreshOutcome.Replayed);
        }

        session.LastSeenAt = now;
        session.Ip = request.Client.Ip ?? session.Ip;
        session.UserAgent = request.Client.UserAgent ?? session.UserAgent;
        if (!jwt.RotateRefreshTokens)
        {
            return new RefreshDecision(RefreshOutcome.Extended, session);
        }

        session.PreviousRefreshTokenId = session.RefreshTokenId;
        session.RotatedAt = now;
        session.RefreshTokenId = newTokenId();
        return new RefreshDecision(RefreshOutcome.Rotated, session);
    }

    /// <summary>A session is live while it exists, has not ended, and its account is registered and active.</summary>
    public bool IsLive(UserState user, string sessionId, DateTimeOffset now) =>
        user is { Registered: true, IsActive: true } && Find(user, sessionId) is { } session && !HasEnded(session, now);

    /// <summary>The sessions that have not ended, as the user and staff see them.</summary>
    public IEnumerable<SessionState> Live(UserState user, DateTimeOffset now) => user.Sessions.Values.Where(s => !HasEnded(s, now));

    /// <summary>Past its absolute lifetime since sign-in, or idle (no refresh) for too long.</summary>
    public bool HasEnded(SessionState session, DateTimeOffset now) =>
        now >= AbsoluteEnd(session) || now >= session.LastSeenAt + jwt.SessionIdleTimeout;

    /// <summary>When the session ends whatever happens: no refresh token of it may outlive this.</summary>
    public DateTimeOffset AbsoluteEnd(SessionState session) => session.CreatedAt + jwt.SessionLifetime;

    /// <summary>Forgets the sessions that have ended.</summary>
    public void Prune(UserState user, DateTimeOffset now)
    {
        var ended = user.Sessions.Values.Where(s => HasEnded(s, now)).Select(s => s.DeviceId).ToList();
        ended.ForEach(deviceId => user.Sessions.Remove(deviceId));
    }

    public static SessionState? Find(UserState user, string sessionId) =>
        user.Sessions.Values.FirstOrDefault(s => string.Equals(s.SessionId, sessionId, StringComparison.Ordinal));
}

/// <summary>The random ids a new session needs, made by the caller (the rules make no randomness of their own).</summary>
public readonly record struct NewIds(string SessionId, string RefreshTokenId, string DeviceSuffix);

public enum RefreshOutcome
{
    /// <summary>The account is deactivated.</summary>
    UserInactive,

    /// <summary>No such account or session.</summary>
    Unknown,

    /// <summary>An old token was replayed: the session is revoked (persist it), the caller gets nothing.</summary>
    Replayed,

    /// <summary>The session is past its absolute lifetime or idle timeout: it is gone (persist it), the caller gets nothing.</summary>
    Ended,

    /// <summary>A retry inside the grace: the session's current pair again; nothing changed.</summary>
    Retried,

    /// <summary>The refresh token rotated (persist it): a new pair.</summary>
    Rotated,

    /// <summary>Rotation is off: a new access token, the same refresh token (persist the last-seen time).</summary>
    Extended,
}

public readonly record struct RefreshDecision(RefreshOutcome Outcome, SessionState? Session = null);
