namespace QrMahalla.Grains;

/// <summary>Outcome of a call made with an access token: the session it names may have been revoked since.</summary>
public enum AccountStatus
{
    Ok,
    SessionRevoked,
    NotFound,
    Invalid,
}

[GenerateSerializer, Immutable, Alias("qrm.user-profile")]
public sealed record UserProfile(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Phone,
    [property: Id(2)] string FirstName,
    [property: Id(3)] string LastName,
    [property: Id(4)] string PassportId,
    [property: Id(5)] string Address,
    [property: Id(6)] string Role,
    [property: Id(7)] bool IsActive,
    [property: Id(8)] bool IsVerified,
    [property: Id(9)] bool IsStaff,
    [property: Id(10)] DateTimeOffset DateJoined);

/// <summary>A partial profile update: null members stay as they are.</summary>
[GenerateSerializer, Immutable, Alias("qrm.profile-update")]
public sealed record ProfileUpdate(
    [property: Id(0)] string? FirstName,
    [property: Id(1)] string? LastName,
    [property: Id(2)] string? PassportId,
    [property: Id(3)] string? Address);

[GenerateSerializer, Immutable, Alias("qrm.profile-result")]
public sealed record ProfileResult(
    [property: Id(0)] AccountStatus Status,
    [property: Id(1)] UserProfile? Profile = null,
    [property: Id(2)] string? Error = null);

[GenerateSerializer, Immutable, Alias("qrm.session-view")]
public sealed record SessionView(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string DeviceName,
    [property: Id(2)] string? Ip,
    [property: Id(3)] string? UserAgent,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset LastSeenAt,
    [property: Id(6)] bool Current);

[GenerateSerializer, Immutable, Alias("qrm.sessions-result")]
public sealed record SessionsResult(
    [property: Id(0)] AccountStatus Status,
    [property: Id(1)] IReadOnlyList<SessionView> Sessions);

[GenerateSerializer, Immutable, Alias("qrm.revoke-result")]
public sealed record RevokeResult([property: Id(0)] AccountStatus Status);

[GenerateSerializer, Immutable, Alias("qrm.delete-account-result")]
public sealed record DeleteAccountResult([property: Id(0)] AccountStatus Status, [property: Id(1)] string? Phone = null);

/// <summary>An EC P-256 public key as published in the JWKS; never carries the private part.</summary>
[GenerateSerializer, Immutable, Alias("qrm.public-signing-key")]
public sealed record PublicSigningKey(
    [property: Id(0)] string Kid,
    [property: Id(1)] string Crv,
    [property: Id(2)] string X,
    [property: Id(3)] string Y);

[GenerateSerializer, Immutable, Alias("qrm.health-report")]
public sealed record HealthReport(
    [property: Id(0)] bool StorageReachable,
    [property: Id(1)] string Silo,
    [property: Id(2)] string? Problem = null);
