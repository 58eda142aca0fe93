namespace QrMahalla.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class InfrastructureEndpointTests(GatewayFactory factory)
{
    private readonly Api api = new(factory.CreateClient(), factory.Outbox);

    [Fact]
    public async Task Jwks_publishes_the_signing_key_without_its_private_part()
    {
        var response = await api.GetAsync("/.well-known/jwks.json");

        var keys = (await Api.Json(response)).GetProperty("keys");
        var key = Assert.Single(keys.EnumerateArray());
        Assert.Equal(TestSettings.Secrets.Kid, key.GetProperty("kid").GetString());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal("P-256", key.GetProperty("crv").GetString());
        Assert.Equal("ES256", key.GetProperty("alg").GetString());
        Assert.False(key.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task Health_endpoints_report_live_started_and_ready_with_storage()
    {
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health/live")).StatusCode);
        Assert.Equal("started", (await Api.Json(await api.GetAsync("/health/startup"))).GetProperty("status").GetString());
        var ready = await api.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (await Api.Json(ready)).GetProperty("status").GetString());
        Assert.Equal("reachable", (await Api.Json(ready)).GetProperty("storage").GetString());
    }

    [Fact]
    public async Task The_openapi_document_and_reference_page_are_served()
    {
        var document = await Api.Json(await api.GetAsync("/openapi/v1.json"));
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/users/auth", "/api/users/token/refresh", "/api/users/me", "/api/users/me/sessions", "/.well-known/jwks.json" })
        {
            Assert.True(paths.TryGetProperty(path, out _), path);
        }

        Assert.True(paths.GetProperty("/api/users/auth").GetProperty("post").TryGetProperty("requestBody", out _));

        var page = await api.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_paths_get_a_json_404() =>
        await Api.Error(await api.GetAsync("/api/users/nothing-here/"), HttpStatusCode.NotFound, "not_found");
}
