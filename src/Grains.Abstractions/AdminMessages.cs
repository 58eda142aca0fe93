namespace QrMahalla.Grains;

/// <summary>Outcome of an admin call. <see cref="Forbidden"/>: the caller holds no live session with the admin role.</summary>
public enum AdminStatus
{
    Ok,
    Forbidden,
    NotFound,
    Invalid,
}

/// <summary>Who performs an admin action, as the gateway read it from a validated access token, and from where.</summary>
[GenerateSerializer, Immutable, Alias("qrm.admin-actor")]
public sealed record AdminActor(
    [property: Id(0)] Guid UserId,
    [property: Id(1)] string SessionId,
    [property: Id(2)] string? Ip);

/// <summary>
/// The operator running a bootstrap command on a cluster machine (<c>QrMahalla.Silo grant-role</c>): the login name
/// and machine, and the subject of the cluster certificate the command connected with. No grain can verify it (the
/// cluster's TLS decides who gets in); it is what the audit row names.
/// </summary>
[GenerateSerializer, Immutable, Alias("qrm.operator-actor")]
public sealed record OperatorActor(
    [property: Id(0)] string User,
    [property: Id(1)] string Machine,
    [property: Id(2)] string? Certificate)
{
    public override string ToString() => $"cli:{User}@{Machine}" + (Certificate is null ? "" : $" ({Certificate})");
}

[GenerateSerializer, Immutable, Alias("qrm.admin-result`1")]
public sealed record AdminResult<T>(
    [property: Id(0)] AdminStatus Status,
    [property: Id(1)] T? Value = default,
    [property: Id(2)] string? Error = null);

/// <summary>A user as staff see it: the profile, where it came from, and its device sessions.</summary>
[GenerateSerializer, Immutable, Alias("qrm.admin-user")]
public sealed record AdminUserView(
    [property: Id(0)] UserProfile Profile,
    [property: Id(1)] long? LegacyId,
    [property: Id(2)] IReadOnlyList<SessionView> Sessions);

/// <summary>A staff change to a user: null members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("qrm.admin-user-update")]
public sealed record AdminUserUpdate(
    [property: Id(0)] bool? IsActive = null,
    [property: Id(1)] string? Role = null,
    [property: Id(2)] string? FirstName = null,
    [property: Id(3)] string? LastName = null);

/// <summary>One row of the users read model.</summary>
[GenerateSerializer, Immutable, Alias("qrm.user-row")]
public sealed record UserRow(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Phone,
    [property: Id(2)] string FirstName,
    [property: Id(3)] string LastName,
    [property: Id(4)] string Role,
    [property: Id(5)] bool IsActive,
    [property: Id(6)] bool IsStaff,
    [property: Id(7)] DateTimeOffset DateJoined,
    [property: Id(8)] long? LegacyId);

/// <summary>
/// A users search: phone prefix and/or a piece of the name, newest first. <see cref="After"/> is the last row of the
/// previous page (keyset paging: stable while users sign up).
/// </summary>
[GenerateSerializer, Immutable, Alias("qrm.user-query")]
public sealed record UserQuery(
    [property: Id(0)] string? PhonePrefix,
    [property: Id(1)] string? Name,
    [property: Id(2)] int Limit,
    [property: Id(3)] UserCursor? After = null);

[GenerateSerializer, Immutable, Alias("qrm.user-cursor")]
public sealed record UserCursor([property: Id(0)] DateTimeOffset DateJoined, [property: Id(1)] Guid Id);

[GenerateSerializer, Immutable, Alias("qrm.user-page")]
public sealed record UserPage([property: Id(0)] IReadOnlyList<UserRow> Items, [property: Id(1)] UserCursor? Next);

/// <summary>What staff may know of a phone: never the code itself, nor its hash.</summary>
[GenerateSerializer, Immutable, Alias("qrm.phone-status")]
public sealed record PhoneStatus(
    [property: Id(0)] string Phone,
    [property: Id(1)] Guid? UserId,
    [property: Id(2)] bool CodeOutstanding,
    [property: Id(3)] DateTimeOffset? CodeExpiresAt,
    [property: Id(4)] int AttemptsLeft,
    [property: Id(5)] int SendsInWindow,
    [property: Id(6)] DateTimeOffset? LockedUntil);

/// <summary>One audited action: who (user id and phone, or the operator's tool), what, on what, when and from where.</summary>
[GenerateSerializer, Immutable, Alias("qrm.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] long Id,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] Guid? ActorId,
    [property: Id(3)] string Actor,
    [property: Id(4)] string Action,
    [property: Id(5)] string Target,
    [property: Id(6)] string? Detail,
    [property: Id(7)] string? Ip);

[GenerateSerializer, Immutable, Alias("qrm.audit-page")]
public sealed record AuditPage([property: Id(0)] IReadOnlyList<AuditEntry> Items, [property: Id(1)] long? Next);

/// <summary>A user of the old Django service, as <c>import-django</c> read it.</summary>
[GenerateSerializer, Immutable, Alias("qrm.legacy-user")]
public sealed record LegacyUser(
    [property: Id(0)] long LegacyId,
    [property: Id(1)] string FirstName,
    [property: Id(2)] string LastName,
    [property: Id(3)] string PassportId,
    [property: Id(4)] string Address,
    [property: Id(5)] string Role,
    [property: Id(6)] bool IsActive,
    [property: Id(7)] bool IsVerified,
    [property: Id(8)] bool IsStaff,
    [property: Id(9)] DateTimeOffset DateJoined);

public enum ImportStatus
{
    Imported,

    /// <summary>This legacy user was imported before; nothing changed.</summary>
    AlreadyImported,

    /// <summary>The phone already belongs to another account (one that signed up here, or another legacy id).</summary>
    PhoneTaken,

    /// <summary>This legacy user was imported and has since deleted the account; it is not brought back.</summary>
    DeletedSinceImport,
}
