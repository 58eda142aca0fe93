using Microsoft.IdentityModel.Tokens;
using Orleans.Concurrency;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Grains.Tokens;

/// <summary>Answers on every silo from its own configuration: the public halves of the signing keys.</summary>
[StatelessWorker]
public sealed class SigningKeysGrain(AuthSecrets secrets) : Grain, ISigningKeysGrain
{
    public Task<IReadOnlyList<PublicSigningKey>> GetPublicKeysAsync()
    {
        IReadOnlyList<PublicSigningKey> keys = secrets.SigningKeys.Select(key =>
        {
            // ExportParameters(false) leaves D out: nothing private ever crosses the wire.
            var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
            return new PublicSigningKey(key.KeyId, "P-256", Base64UrlEncoder.Encode(parameters.Q.X!), Base64UrlEncoder.Encode(parameters.Q.Y!));
        }).ToList();
        return Task.FromResult(keys);
    }
}
