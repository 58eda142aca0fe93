using System.Net;
using System.Net.Sockets;
using QrMahalla.Grains;

namespace QrMahalla.Gateway.Http;

public static class ClientAddress
{
    /// <summary>The caller as the gateway sees it, after forwarded headers from known proxies are applied.</summary>
    public static ClientInfo ClientInfo(this HttpContext context) =>
        new(context.Connection.RemoteIpAddress?.ToString(), Truncate(context.Request.Headers.UserAgent.ToString(), 256));

    /// <summary>
    /// The key a client's rate limits are counted under: the IPv4 address, or the IPv6 /64 (one subscriber's
    /// network, which hands its devices many addresses).
    /// </summary>
    public static string LimiterKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }

    public static string? Truncate(string? value, int max) =>
        string.IsNullOrEmpty(value) ? null : value.Length <= max ? value : value[..max];
}
