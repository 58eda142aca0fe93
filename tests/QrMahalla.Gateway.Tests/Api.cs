using System.Net.Http.Headers;
using System.Text;

namespace QrMahalla.Gateway.Tests;

/// <summary>What a client of the old Django endpoint does, over real HTTP to the test server.</summary>
public sealed class Api(HttpClient http, Outbox outbox)
{
    public HttpClient Http { get; } = http;

    public Task<HttpResponseMessage> PostJsonAsync(string path, object body) => Http.PostAsJsonAsync(path, body);

    public Task<HttpResponseMessage> PostRawAsync(string path, string body, string contentType = "application/json") =>
        Http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    public Task<HttpResponseMessage> SendCodeAsync(string phone) => PostJsonAsync("/api/users/auth/", new { phone });

    public Task<HttpResponseMessage> VerifyAsync(string phone, string code, string? deviceId = "device-1") =>
        PostJsonAsync("/api/users/auth/", new { phone, code, device_id = deviceId, device_name = "Test phone" });

    /// <summary>Ask for a code, read it from the outbox, send it back: the whole login.</summary>
    public async Task<Login> LoginAsync(string phone, string? deviceId = "device-1")
    {
        var sent = await SendCodeAsync(phone);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var verified = await VerifyAsync(phone, outbox.LatestCodeFor(phone), deviceId);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var json = await Json(verified);
        return new Login(
            json.GetProperty("access").GetString()!,
            json.GetProperty("refresh").GetString()!,
            json.GetProperty("user").GetProperty("id").GetGuid());
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? access = null) => SendAsync(HttpMethod.Get, path, access);

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? access, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (access is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return Http.SendAsync(request);
    }

    public Task<HttpResponseMessage> RefreshAsync(string refresh) => PostJsonAsync("/api/users/token/refresh/", new { refresh });

    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>Asserts the API's error shape and returns the body.</summary>
    public static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        var json = await Json(response);
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("error").GetString()));
        return json;
    }

    public static JsonElement Header(string jwt) => Part(jwt, 0);

    public static JsonElement Payload(string jwt) => Part(jwt, 1);

    private static JsonElement Part(string jwt, int index)
    {
        var part = jwt.Split('.')[index].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonDocument.Parse(Convert.FromBase64String(part)).RootElement.Clone();
    }
}

public sealed record Login(string Access, string Refresh, Guid UserId);
