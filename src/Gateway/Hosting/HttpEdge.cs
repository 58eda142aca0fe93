using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

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

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // ASP.NET trusts loopback by default; here only the configured proxies are believed.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in gateway.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        return builder;
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
