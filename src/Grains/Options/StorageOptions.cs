using System.ComponentModel.DataAnnotations;

namespace QrMahalla.Grains.Options;

public enum StorageProvider
{
    Sqlite,
    PostgreSql,
    SqlServer,
    Memory,
}

public enum ClusterProvider
{
    Localhost,
    PostgreSql,
    SqlServer,
}

/// <summary>Section <c>Storage</c>: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public StorageProvider Provider { get; set; } = StorageProvider.Sqlite;
    [Required] public string ConnectionString { get; set; } = "Data Source=data/qrmahalla.db";
    public bool ApplySchema { get; set; } = true;

    /// <summary>How often a silo deletes code state rows whose every window has passed.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Section <c>Cluster</c>: Orleans identities and ports.</summary>
public sealed class ClusteringOptions
{
    public const string Section = "Cluster";

    public ClusterProvider Provider { get; set; } = ClusterProvider.Localhost;

    /// <summary>Membership database; defaults to <c>Storage:ConnectionString</c>.</summary>
    public string? ConnectionString { get; set; }

    [Required] public string ClusterId { get; set; } = "qrmahalla-dev";
    [Required] public string ServiceId { get; set; } = "qrmahalla";
    [Range(1, 65535)] public int SiloPort { get; set; } = 11111;
    [Range(1, 65535)] public int GatewayPort { get; set; } = 30000;
    [Range(1, 65535)] public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>
    /// How long a grain call may take before it fails. Bounds how long a request can hang on a silo that just died;
    /// kept well above <c>Sms:Timeout</c> so a code that still goes out is never answered with a 503.
    /// </summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a pure-client gateway re-reads the list of silo gateways from the membership table.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The address other silos and clients reach this silo on; loopback unless set.</summary>
    public string? AdvertisedAddress { get; set; }
}
