using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

public enum StorageProvider
{
    Sqlite,
    Memory,
}

/// <summary>Section <c>Storage</c>: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;
    [Required] public string ConnectionString { get; set; } = "Data Source=data/qrmahalla.db";
    public bool ApplySchema { get; set; } = true;
}

/// <summary>Section <c>Cluster</c>: Orleans identities and ports.</summary>
public sealed class ClusteringOptions
{
    public const string Section = "Cluster";

    [Required] public string ClusterId { get; set; } = "qrmahalla-dev";
    [Required] public string ServiceId { get; set; } = "qrmahalla";
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;
    [Range(1, 65535)] public int PrimarySiloPort { get; set; } = 11111;
}
