using System.Text.Json;

namespace QrMahalla.Gateway.Apis;

public sealed record AdminUserPatch(
    bool? IsActive,
    string? Role,
    string? FirstName,
    string? LastName);

public sealed record UserItemResponse(
    Guid Id,
    string Phone,
    string FirstName,
    string LastName,
    string Role,
    bool IsActive,
    bool IsStaff,
    DateTimeOffset DateJoined,
    long? LegacyId)
{
    public static UserItemResponse From(UserRow u) =>
        new(u.Id, u.Phone, u.FirstName, u.LastName, u.Role, u.IsActive, u.IsStaff, u.DateJoined, u.LegacyId);
}

public sealed record UserPageResponse(
    List<UserItemResponse> Results,
    string? NextCursor);

/// <summary>The user's own profile fields, plus what staff also see.</summary>
public sealed record AdminUserResponse : ProfileResponse
{
    public AdminUserResponse(AdminUserView view) : base(ProfileResponse.From(view.Profile))
    {
        LegacyId = view.LegacyId;
        Sessions = view.Sessions.Select(SessionResponse.From).ToList();
    }

    public long? LegacyId { get; }

    public List<SessionResponse> Sessions { get; }
}

public sealed record PhoneStatusResponse(
    string Phone,
    Guid? UserId,
    bool CodeOutstanding,
    DateTimeOffset? CodeExpiresAt,
    int AttemptsLeft,
    int SendsInWindow,
    DateTimeOffset? LockedUntil)
{
    public static PhoneStatusResponse From(PhoneStatus s) =>
        new(s.Phone, s.UserId, s.CodeOutstanding, s.CodeExpiresAt, s.AttemptsLeft, s.SendsInWindow, s.LockedUntil);
}

public sealed record AuditEntryResponse(
    long Id,
    DateTimeOffset At,
    Guid? ActorId,
    string Actor,
    string Action,
    string Target,
    JsonElement? Detail,
    string? Ip)
{
    public static AuditEntryResponse From(AuditEntry e) => new(
        e.Id, e.At, e.ActorId, e.Actor, e.Action, e.Target,
        e.Detail is null ? null : JsonDocument.Parse(e.Detail).RootElement.Clone(), e.Ip);
}

public sealed record AuditPageResponse(
    List<AuditEntryResponse> Results,
    string? NextCursor);
