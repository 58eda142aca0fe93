namespace QrMahalla.Grains.Options;

/// <summary>Section <c>Auth</c>: who administers the service.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>Phones that get the <c>admin</c> role at their next login (bootstrap for the first staff).</summary>
    public List<string> AdminPhones { get; set; } = [];
}
