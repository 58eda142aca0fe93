using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using QrMahalla.Gateway.Hosting;
using QrMahalla.Grains.Options;

namespace QrMahalla.Gateway.Apis;

/// <summary>
/// Operator endpoints: the Prometheus scrape at <c>/metrics</c> and the Orleans Dashboard at <c>/dashboard</c>.
/// Outside Development they answer only on <c>Gateway:ManagementUrls</c> (loopback by default), and the dashboard
/// asks for <c>Dashboard:Username</c> / <c>Dashboard:Password</c>.
/// </summary>
public static class ManagementApi
{
    public const string DashboardPath = "/dashboard";

    public static WebApplication MapManagementEndpoints(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            // Decided by the socket the request came in on; a Host header is the client's to choose.
            var ports = ListenOnManagementUrls(app);
            app.Use((context, next) =>
            {
                if (IsManagementPath(context.Request.Path) && !ports.Contains(context.Connection.LocalPort))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }

        app.MapPrometheusScrapingEndpoint("/metrics");

        var dashboard = app.Services.GetRequiredService<IOptions<ClusterDashboardOptions>>().Value;
        if (dashboard.Enabled)
        {
            var endpoints = app.MapOrleansDashboard(routePrefix: DashboardPath);
            if (!app.Environment.IsDevelopment())
            {
                endpoints.AddEndpointFilter((context, next) => BasicAuthorized(context.HttpContext, dashboard)
                    ? next(context)
                    : ValueTask.FromResult<object?>(Challenge(context.HttpContext)));
            }
        }

        return app;
    }

    private static bool IsManagementPath(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments(DashboardPath);

    /// <summary>Adds the management addresses to the ones the gateway already listens on; returns their ports.</summary>
    private static HashSet<int> ListenOnManagementUrls(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HttpGatewayOptions>>().Value;
        var main = (app.Configuration["urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in main.Concat(options.ManagementUrls).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            app.Urls.Add(url);
        }

        return options.ManagementUrls.Select(url => new Uri(url).Port).ToHashSet();
    }

    private static bool BasicAuthorized(HttpContext context, ClusterDashboardOptions dashboard)
    {
        if (!AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(header.Parameter);
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = Encoding.UTF8.GetBytes($"{dashboard.Username}:{dashboard.Password}");
        return CryptographicOperations.FixedTimeEquals(decoded, expected);
    }

    private static IResult Challenge(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"QrMahalla dashboard\"";
        return Errors.Of(401, "The dashboard needs the operator's credentials.", "unauthorized");
    }
}
