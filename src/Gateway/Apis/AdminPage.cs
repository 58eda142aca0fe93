namespace QrMahalla.Gateway.Apis;

/// <summary>
/// The staff page at <c>/admin</c>: three static files compiled into the gateway, served with a strict content
/// security policy (no inline script, no third-party origin, no framing). All it does goes through <c>/api/</c>.
/// </summary>
public static class AdminPage
{
    private const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/admin", "index.html", "text/html; charset=utf-8"),
        ("/admin/admin.js", "admin.js", "text/javascript; charset=utf-8"),
        ("/admin/admin.css", "admin.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapAdminPage(this IEndpointRouteBuilder routes)
    {
        foreach (var (path, resource, contentType) in Files)
        {
            var content = Read(resource);
            routes.MapGet(path, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = Policy;
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache";
                headers["Referrer-Policy"] = "no-referrer";
                return TypedResults.Bytes(content, contentType);
            }).ExcludeFromDescription();
        }

        return routes;
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(AdminPage).Assembly.GetManifestResourceStream($"QrMahalla.Gateway.Admin.{name}")
            ?? throw new InvalidOperationException($"The admin page file '{name}' is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
