namespace QrMahalla.Grains.Storage;

/// <summary>The names grains give their storage provider: one provider, "auth", holds every grain's state.</summary>
public static class StorageNames
{
    public const string Auth = "auth";
}
