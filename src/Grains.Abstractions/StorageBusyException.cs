namespace QrMahalla.Grains;

/// <summary>
/// The silo's storage queue is full: the database is not keeping up, so the call is refused at once rather than left
/// to wait without bound. Nothing was written; the client may retry later (HTTP 503 <c>unavailable</c>).
/// </summary>
[GenerateSerializer, Alias("qrm.storage-busy")]
public sealed class StorageBusyException : Exception
{
    public StorageBusyException()
        : base("The storage queue is full; nothing was written.")
    {
    }

    public StorageBusyException(string message)
        : base(message)
    {
    }

    public StorageBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
