namespace QrMahalla.Grains.Phones;

/// <summary>
/// Short-lived code state of one phone: the outstanding code (hashed), its attempts, and the send and failure
/// history the rate limits read. Nothing here outlives its longest window, so old rows can be swept by age.
/// </summary>
[GenerateSerializer, Alias("qrm.phone-code-state")]
public sealed class PhoneCodeState
{
    [Id(0)] public byte[]? CodeHash { get; set; }
    [Id(1)] public DateTimeOffset? ExpiresAt { get; set; }
    [Id(2)] public int WrongAttempts { get; set; }
    [Id(3)] public bool Dead { get; set; }
    [Id(4)] public DateTimeOffset? LastSentAt { get; set; }
    [Id(5)] public List<DateTimeOffset> SendTimes { get; set; } = [];
    [Id(6)] public List<DateTimeOffset> DeadCodeTimes { get; set; } = [];
    [Id(7)] public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>Wrong guesses in a row against live codes, across codes, since the last login or lockout.</summary>
    [Id(8)] public int FailedVerifications { get; set; }

    [Id(9)] public DateTimeOffset? LastFailedAt { get; set; }

    /// <summary>When those wrong guesses locked the phone, for the doubling lockout.</summary>
    [Id(10)] public List<DateTimeOffset> FailureLockouts { get; set; } = [];
}

/// <summary>
/// The permanent phone → user binding. Every successful verification writes it once, recording the hash of the code
/// it consumed: that single write both binds the user (on the first login) and makes the code single-use.
/// </summary>
[GenerateSerializer, Alias("qrm.phone-binding-state")]
public sealed class PhoneBindingState
{
    [Id(0)] public Guid? UserId { get; set; }
    [Id(1)] public DateTimeOffset? BoundAt { get; set; }
    [Id(2)] public byte[]? ConsumedCodeHash { get; set; }
    [Id(3)] public DateTimeOffset? ConsumedAt { get; set; }
}
