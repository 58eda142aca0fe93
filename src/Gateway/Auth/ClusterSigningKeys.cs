using Microsoft.IdentityModel.Tokens;

namespace QrMahalla.Gateway.Auth;

/// <summary>
/// The token-signing public keys, asked of the cluster and cached. A token naming an unknown kid triggers one
/// early refresh (at most every <see cref="MinRefreshInterval"/>), so a rotated key is picked up without a restart.
/// </summary>
public sealed class ClusterSigningKeys(IGrainFactory grains, TimeProvider time)
{
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim gate = new(1, 1);
    private Snapshot? current;
    private bool refreshRequested;

    public async Task<Snapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (current is { } cached && !IsStale(cached, now))
        {
            return cached;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (current is { } again && !IsStale(again, now))
            {
                return again;
            }

            var keys = await grains.GetGrain<ISigningKeysGrain>(0).GetPublicKeysAsync();
            refreshRequested = false;
            return current = new Snapshot(keys, keys.Select(ToSecurityKey).ToList(), now);
        }
        finally
        {
            gate.Release();
        }
    }

    public void RequestRefresh() => refreshRequested = true;

    private bool IsStale(Snapshot snapshot, DateTimeOffset now) =>
        now - snapshot.FetchedAt >= CacheLifetime || (refreshRequested && now - snapshot.FetchedAt >= MinRefreshInterval);

    private static SecurityKey ToSecurityKey(PublicSigningKey key) => new JsonWebKey
    {
        Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
        Crv = key.Crv,
        X = key.X,
        Y = key.Y,
        Kid = key.Kid,
        Alg = SecurityAlgorithms.EcdsaSha256,
        Use = JsonWebKeyUseNames.Sig,
    };

    public sealed record Snapshot(IReadOnlyList<PublicSigningKey> Published, IReadOnlyList<SecurityKey> SecurityKeys, DateTimeOffset FetchedAt);
}
