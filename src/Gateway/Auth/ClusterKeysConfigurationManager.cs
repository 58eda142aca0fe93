using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace QrMahalla.Gateway.Auth;

/// <summary>Feeds JwtBearer the cluster's public keys in place of an OpenID discovery document.</summary>
public sealed class ClusterKeysConfigurationManager(ClusterSigningKeys keys) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var snapshot = await keys.GetAsync(cancel);
        var configuration = new OpenIdConnectConfiguration();
        foreach (var key in snapshot.SecurityKeys)
        {
            configuration.SigningKeys.Add(key);
        }

        return configuration;
    }

    public void RequestRefresh() => keys.RequestRefresh();
}
