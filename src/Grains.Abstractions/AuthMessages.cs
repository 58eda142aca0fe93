namespace QrMahalla.Grains;

/// <summary>Who is asking, as the gateway saw them.</summary>
[GenerateSerializer, Immutable, Alias("qrm.client-info")]
public sealed record ClientInfo([property: Id(0)] string? Ip, [property: Id(1)] string? UserAgent);

/// <summary>The device a login opens a session for. A missing device id gets a generated one.</summary>
[GenerateSerializer, Immutable, Alias("qrm.device-info")]
public sealed record DeviceInfo(
    [property: Id(0)] string? DeviceId,
    [property: Id(1)] string? DeviceName,
    [property: Id(2)] string? Ip,
    [property: Id(3)] string? UserAgent);

public enum SendCodeStatus
{
    Sent,
    RateLimited,
    SmsFailed,
}

[GenerateSerializer, Immutable, Alias("qrm.send-code-result")]
public sealed record SendCodeResult(
    [property: Id(0)] SendCodeStatus Status,
    [property: Id(1)] int ExpiresInSeconds,
    [property: Id(2)] int ResendAfterSeconds,
    [property: Id(3)] int? RetryAfterSeconds = null);

public enum VerifyStatus
{
    Success,
    InvalidCode,
    CodeExpired,
    TooManyAttempts,
    RateLimited,
    UserInactive,
}

[GenerateSerializer, Immutable, Alias("qrm.verify-result")]
public sealed record VerifyResult(
    [property: Id(0)] VerifyStatus Status,
    [property: Id(1)] int? AttemptsLeft = null,
    [property: Id(2)] int? RetryAfterSeconds = null,
    [property: Id(3)] TokenPair? Tokens = null,
    [property: Id(4)] UserSummary? User = null,
    [property: Id(5)] bool NewUser = false);

[GenerateSerializer, Immutable, Alias("qrm.token-pair")]
public sealed record TokenPair([property: Id(0)] string Access, [property: Id(1)] string Refresh);

[GenerateSerializer, Immutable, Alias("qrm.user-summary")]
public sealed record UserSummary(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Phone,
    [property: Id(2)] string Role,
    [property: Id(3)] string FirstName,
    [property: Id(4)] string LastName);

public enum SignInStatus
{
    Success,
    UserInactive,

    /// <summary>The account was deleted; the phone must bind a new one.</summary>
    Deleted,
}

[GenerateSerializer, Immutable, Alias("qrm.sign-in-result")]
public sealed record SignInResult(
    [property: Id(0)] SignInStatus Status,
    [property: Id(1)] TokenPair? Tokens = null,
    [property: Id(2)] UserSummary? User = null);

/// <summary>A refresh token the gateway has already validated (signature, type, lifetime).</summary>
[GenerateSerializer, Immutable, Alias("qrm.refresh-request")]
public sealed record RefreshRequest(
    [property: Id(0)] string SessionId,
    [property: Id(1)] string TokenId,
    [property: Id(2)] string Token,
    [property: Id(3)] ClientInfo Client);

public enum RefreshStatus
{
    Success,
    InvalidToken,
    UserInactive,
}

[GenerateSerializer, Immutable, Alias("qrm.refresh-result")]
public sealed record RefreshResult([property: Id(0)] RefreshStatus Status, [property: Id(1)] TokenPair? Tokens = null);
