using QrMahalla.Grains.Secrets;

namespace QrMahalla.Gateway.Tests;

public sealed class KeyRotationTests
{
    private static readonly (string HashKey, Grains.Options.SigningKeyOptions Key) Old = AuthSecrets.Generate();

    /// <summary>Keys in configuration order, oldest first: the last one signs.</summary>
    private static Dictionary<string, string?> Keys(params (string Kid, string Pem)[] keys)
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < keys.Length; i++)
        {
            settings[$"Jwt:SigningKeys:{i}:Kid"] = keys[i].Kid;
            settings[$"Jwt:SigningKeys:{i}:Pem"] = keys[i].Pem;
        }

        return settings;
    }

    [Fact]
    public async Task The_newest_key_signs_all_keys_validate_until_removed()
    {
        var folder = TestSettings.NewTempFolder("rotation");
        var oldKey = (Old.Key.Kid, Old.Key.Pem);
        var newKey = (TestSettings.Secrets.Kid, TestSettings.Secrets.Pem);
        var phone = TestSettings.NewPhone();
        Login beforeRotation;
        await using (var oldOnly = new GatewayFactory(folder, Keys(oldKey)))
        {
            beforeRotation = await new Api(oldOnly.CreateClient(), oldOnly.Outbox).LoginAsync(phone);
        }

        Assert.Equal(Old.Key.Kid, Api.Header(beforeRotation.Access).GetProperty("kid").GetString());

        await using (var both = new GatewayFactory(folder, Keys(oldKey, newKey)))
        {
            var api = new Api(both.CreateClient(), both.Outbox);
            var kids = (await Api.Json(await api.GetAsync("/.well-known/jwks.json"))).GetProperty("keys")
                .EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
            var refreshed = await Api.Json(await api.RefreshAsync(beforeRotation.Refresh));

            Assert.Equal([Old.Key.Kid, TestSettings.Secrets.Kid], kids);
            Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/users/me/", beforeRotation.Access)).StatusCode);
            Assert.Equal(TestSettings.Secrets.Kid, Api.Header(refreshed.GetProperty("access").GetString()!).GetProperty("kid").GetString());
            beforeRotation = beforeRotation with { Refresh = refreshed.GetProperty("refresh").GetString()! };
        }

        await using var newOnly = new GatewayFactory(folder, Keys(newKey));
        var after = new Api(newOnly.CreateClient(), newOnly.Outbox);

        await Api.Error(await after.GetAsync("/api/users/me/", beforeRotation.Access), HttpStatusCode.Unauthorized, "invalid_token");
        Assert.Equal(HttpStatusCode.OK, (await after.RefreshAsync(beforeRotation.Refresh)).StatusCode);
    }
}
