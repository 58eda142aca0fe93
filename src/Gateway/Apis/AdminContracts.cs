using System.Text.Json;
using System.Text.Json.Serialization;

namespace QrMahalla.Gateway.Apis;

public sealed record AdminUserPatch(
    [property: JsonPropertyName("is_active")] bool? IsActive,
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("first_name")] string? FirstName,
    [property: JsonPropertyName("last_name")] string? LastName);

public sealed record UserItemResponse(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("phone")] string Phone,
    [property: JsonPropertyName("first_name")] string FirstName,
    [property: JsonPropertyName("last_name")] string LastName,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("is_active")] bool IsActive,
    [property: JsonPropertyName("is_staff")] bool IsStaff,
    [property: JsonPropertyName("date_joined")] DateTimeOffset DateJoined,
    [property: JsonPropertyName("legacy_id")] long? LegacyId)
{
    public static UserItemResponse From(UserRow u) =>
        new(u.Id, u.Phone, u.FirstName, u.LastName, u.Role, u.IsActive, u.IsStaff, u.DateJoined, u.LegacyId);
}

public sealed record UserPageResponse(
    [property: JsonPropertyName("results")] List<UserItemResponse> Results,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);

/// <summary>The user's own profile fields, plus what staff also see.</summary>
public sealed record AdminUserResponse : ProfileResponse
{
    public AdminUserResponse(AdminUserView view) : base(ProfileResponse.From(view.Profile))
    {
        LegacyId = view.LegacyId;
        Sessions = view.Sessions.Select(SessionResponse.From).ToList();
    }

    [JsonPropertyName("legacy_id")] public long? LegacyId { get; }

    [JsonPropertyName("sessions")] public List<SessionResponse> Sessions { get; }
}

public sealed record PhoneStatusResponse(
    [property: JsonPropertyName("phone")] string Phone,
    [property: JsonPropertyName("user_id")] Guid? UserId,
    [property: JsonPropertyName("code_outstanding")] bool CodeOutstanding,
    [property: JsonPropertyName("code_expires_at")] DateTimeOffset? CodeExpiresAt,
    [property: JsonPropertyName("attempts_left")] int AttemptsLeft,
    [property: JsonPropertyName("sends_in_window")] int SendsInWindow,
    [property: JsonPropertyName("locked_until")] DateTimeOffset? LockedUntil)
{
    public static PhoneStatusResponse From(PhoneStatus s) =>
        new(s.Phone, s.UserId, s.CodeOutstanding, s.CodeExpiresAt, s.AttemptsLeft, s.SendsInWindow, s.LockedUntil);
}

public sealed record AuditEntryResponse(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor_id")] Guid? ActorId,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("detail")] JsonElement? Detail,
    [property: JsonPropertyName("ip")] string? Ip)
{
    public static AuditEntryResponse From(AuditEntry e) => new(
        e.Id, e.At, e.ActorId, e.Actor, e.Action, e.Target,
        e.Detail is null ? null : JsonDocument.Parse(e.Detail).RootElement.Clone(), e.Ip);
}

public sealed record AuditPageResponse(
    [property: JsonPropertyName("results")] List<AuditEntryResponse> Results,
    [property: JsonPropertyName("next_cursor")] string? NextCursor);
