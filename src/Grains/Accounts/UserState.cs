using QrMahalla.Grains.Admin;

namespace QrMahalla.Grains.Accounts;

/// <summary>One account: the profile fields of the old Django <c>User</c> model plus its device sessions.</summary>
[GenerateSerializer, Alias("qrm.user-state")]
public sealed class UserState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string Phone { get; set; } = "";
    [Id(2)] public string FirstName { get; set; } = "";
    [Id(3)] public string LastName { get; set; } = "";
    [Id(4)] public string PassportId { get; set; } = "";
    [Id(5)] public string Address { get; set; } = "";
    [Id(6)] public string Role { get; set; } = UserRoles.User;
    [Id(7)] public bool IsActive { get; set; } = true;
    [Id(8)] public bool IsVerified { get; set; }
    [Id(9)] public bool IsStaff { get; set; }
    [Id(10)] public DateTimeOffset DateJoined { get; set; }

    /// <summary>Sessions by device id.</summary>
    [Id(11)] public Dictionary<string, SessionState> Sessions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>A tombstone: the account was deleted and holds nothing else; it never signs in again.</summary>
    [Id(12)] public bool Deleted { get; set; }

    /// <summary>The integer id of this user in the old Django service, when it was imported from there.</summary>
    [Id(13)] public long? LegacyId { get; set; }

    /// <summary>Counts changes to what the users read model shows, so a late retry never overwrites a newer row.</summary>
    [Id(14)] public long Revision { get; set; }
}

[GenerateSerializer, Alias("qrm.session-state")]
public sealed class SessionState
{
    [Id(0)] public string SessionId { get; set; } = "";
    [Id(1)] public string DeviceId { get; set; } = "";
    [Id(2)] public string DeviceName { get; set; } = "";
    [Id(3)] public string? Ip { get; set; }
    [Id(4)] public string? UserAgent { get; set; }
    [Id(5)] public DateTimeOffset CreatedAt { get; set; }
    [Id(6)] public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>The <c>jti</c> of the only refresh token that is still good for this session.</summary>
    [Id(7)] public string RefreshTokenId { get; set; } = "";

    /// <summary>The refresh token id rotated away last, and when: a retry inside <c>Jwt:RefreshReuseGrace</c> is not a theft.</summary>
    [Id(8)] public string? PreviousRefreshTokenId { get; set; }
    [Id(9)] public DateTimeOffset? RotatedAt { get; set; }
}

