using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using QrMahalla.Gateway.Http;
using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Gateway.Hosting;

/// <summary>What the gateway believes and allows at its edge: browser origins, proxies, and the old service's paths.</summary>
public static class HttpEdge
{
    public const string CorsPolicy = "web-app";

    public static WebApplicationBuilder AddHttpEdge(this WebApplicationBuilder builder, HttpGatewayOptions gateway)
    {
        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins([.. gateway.CorsOrigins])
            .WithMethods("GET", "POST", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type")));

        var proxies = gateway.KnownProxies.Select(ParseProxy).ToList();
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // ASP.NET trusts loopback by default; here only the configured proxies are believed.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownIPNetworks.Add(proxy);
            }
        });

        return builder;
    }

    /// <summary>An address (<c>10.0.0.7</c>) or a range (<c>10.0.0.0/8</c>: behind an ingress the proxy's address is not known in advance).</summary>
    public static System.Net.IPNetwork ParseProxy(string proxy)
    {
        if (IPAddress.TryParse(proxy, out var address))
        {
            return new System.Net.IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        return System.Net.IPNetwork.TryParse(proxy, out var range)
            ? range
            : throw new InvalidOperationException($"Gateway:KnownProxies entry '{proxy}' is neither an IP address nor an address range such as 10.0.0.0/8.");
    }

    /// <summary>With no known proxies the middleware would believe any X-Forwarded-For, so it runs only when some are listed.</summary>
    public static WebApplication UseForwardedHeadersOfKnownProxies(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<HttpGatewayOptions>>().Value.KnownProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>
    /// A page on another site can make its visitors' browsers POST here without a preflight (a form, or
    /// <c>text/plain</c>), and each would send an SMS from the visitor's own address. Browsers say where such a request
    /// comes from in <c>Origin</c>: a state-changing request from any origin but the web app's
    /// (<c>Gateway:CorsOrigins</c>) and the gateway's own gets 403 <c>origin_not_allowed</c> before any grain call.
    /// Native apps send no <c>Origin</c>; <c>Origin: null</c> (sandboxed frames, redirects) is refused.
    /// </summary>
    public static WebApplication UseOriginCheck(this WebApplication app)
    {
        var gateway = app.Services.GetRequiredService<IOptions<HttpGatewayOptions>>().Value;
        var allowed = new HashSet<string>(gateway.CorsOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        var metrics = app.Services.GetRequiredService<QrMahallaMetrics>();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
                && request.Headers.Origin is { Count: > 0 } origin)
            {
                var own = gateway.PublicOrigin?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}";
                var value = origin.ToString();
                if (!allowed.Contains(value) && !string.Equals(value, own, StringComparison.OrdinalIgnoreCase))
                {
                    metrics.OriginRefused();
                    await Errors.Of(403, "Requests from this site's pages are not accepted here.", "origin_not_allowed").ExecuteAsync(context);
                    return;
                }
            }

            await next(context);
        });
        return app;
    }

    /// <summary>Old clients call the Django paths with a trailing slash; API routes are declared without one.</summary>
    public static WebApplication UseDjangoTrailingSlashes(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path is { Length: > 5 } && path.EndsWith('/') && (path.StartsWith("/api/", StringComparison.Ordinal) || path == "/admin/"))
            {
                context.Request.Path = path.TrimEnd('/');
            }

            return next(context);
        });
        return app;
    }
}
