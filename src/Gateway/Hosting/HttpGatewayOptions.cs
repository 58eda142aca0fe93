namespace QrMahalla.Gateway.Hosting;

/// <summary>Section <c>Gateway</c>: the HTTP gateway (named apart from Orleans' client GatewayOptions).</summary>
public sealed class HttpGatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Run a silo inside the gateway process (the one-command development setup).</summary>
    public bool CoHostSilo { get; set; } = true;

    public List<string> CorsOrigins { get; set; } = [];

    /// <summary>Proxies whose <c>X-Forwarded-For</c> is believed. Empty: the connection's address is the client's.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Outside Development, /metrics and /dashboard answer only on these addresses (loopback by default).</summary>
    public List<string> ManagementUrls { get; set; } = ["http://127.0.0.1:9464"];
}
