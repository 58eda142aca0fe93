using QrMahalla.Grains;

namespace QrMahalla.Gateway.Http;

public static class ClientAddress
{
    /// <summary>The caller as the gateway sees it, after forwarded headers from known proxies are applied.</summary>
    public static ClientInfo ClientInfo(this HttpContext context) =>
        new(context.Connection.RemoteIpAddress?.ToString(), Truncate(context.Request.Headers.UserAgent.ToString(), 256));

    public static string? Truncate(string? value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}
