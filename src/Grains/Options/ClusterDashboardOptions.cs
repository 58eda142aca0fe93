namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Dashboard</c>: the Orleans Dashboard, off unless enabled (named apart from Orleans' own DashboardOptions).</summary>
public sealed class ClusterDashboardOptions
{
    public const string Section = "Dashboard";

    public bool Enabled { get; set; }

    /// <summary>Outside Development the dashboard asks for these (HTTP Basic) and the process refuses to start without them.</summary>
    public string? Username { get; set; }

    public string? Password { get; set; }
}
