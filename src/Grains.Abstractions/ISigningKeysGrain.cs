namespace QrMahalla.Grains;

/// <summary>Publishes the token-signing public keys so gateways can validate without any private key.</summary>
[Alias("qrm.signing-keys")]
public interface ISigningKeysGrain : IGrainWithIntegerKey
{
    [Alias("public-keys")] Task<IReadOnlyList<PublicSigningKey>> GetPublicKeysAsync();
}

/// <summary>Reports whether this silo can reach grain storage.</summary>
[Alias("qrm.health")]
public interface IHealthGrain : IGrainWithIntegerKey
{
    [Alias("check")] Task<HealthReport> CheckAsync();
}
