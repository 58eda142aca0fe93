namespace QrMahalla.Gateway.Hosting;

/// <summary>Section <c>Gateway</c>: the HTTP gateway (named apart from Orleans' client GatewayOptions).</summary>
public sealed class HttpGatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Run a silo inside the gateway process (the one-command development setup).</summary>
    public bool CoHostSilo { get; set; } = true;

    /// <summary>Browser origins of the web app: CORS allows them, and the origin check lets their requests through.</summary>
    public List<string> CorsOrigins { get; set; } = [];

    /// <summary>
    /// The gateway's own origin as browsers see it (e.g. <c>https://auth.example.uz</c>), needed behind a TLS proxy;
    /// unset, the request's own scheme and host.
    /// </summary>
    public string? PublicOrigin { get; set; }

    /// <summary>Proxies whose <c>X-Forwarded-For</c> is believed. Empty: the connection's address is the client's.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Outside Development, /metrics and /dashboard answer only on these addresses (loopback by default).</summary>
    public List<string> ManagementUrls { get; set; } = ["http://127.0.0.1:9464"];
}
