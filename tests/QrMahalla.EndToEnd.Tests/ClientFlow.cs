namespace QrMahalla.EndToEnd.Tests;

/// <summary>The web or mobile client's side of a login, over HTTP to a gateway process.</summary>
public static class ClientFlow
{
    public static async Task<HttpResponseMessage> SendCodeAsync(HttpClient gateway, string phone) =>
        await gateway.PostAsJsonAsync("/api/users/auth/", new { phone });

    public static async Task<HttpResponseMessage> VerifyAsync(HttpClient gateway, string phone, string code, string device = "e2e") =>
        await gateway.PostAsJsonAsync("/api/users/auth/", new { phone, code, device_id = device, device_name = "E2E" });

    /// <summary>Send, read the outbox, verify; the user id on success, null on any failure (a 503 while healing).</summary>
    public static async Task<Guid?> TryLoginAsync(HttpClient gateway, Outbox outbox, string phone)
    {
        try
        {
            var sent = await SendCodeAsync(gateway, phone);
            if (sent.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            var verified = await VerifyAsync(gateway, phone, outbox.LatestCodeFor(phone));
            if (verified.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }

            var json = JsonDocument.Parse(await verified.Content.ReadAsStringAsync()).RootElement;
            return json.GetProperty("user").GetProperty("id").GetGuid();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public static async Task<Guid> LoginAsync(HttpClient gateway, Outbox outbox, string phone, TimeSpan deadline)
    {
        var id = await Wait.UntilAsync(async () => await TryLoginAsync(gateway, outbox, phone) is { } user ? new Box(user) : null,
            deadline, $"a login of {phone}");
        return id.Value;
    }

    private sealed record Box(Guid Value);
}
