using Microsoft.Extensions.Options;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Unit.Tests;

/// <summary>Loading the secrets every silo shares: what is refused, and by which sentence.</summary>
public sealed class SecretsTests
{
    private static readonly (string HashKey, SigningKeyOptions SigningKey) Configured = AuthSecrets.Generate();

    private static string Folder() => Directory.CreateTempSubdirectory("qrm-secrets-").FullName;

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_missing_secrets_stop_the_process_with_one_sentence(string environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new TestEnvironment(environment), Folder()));

        Assert.Contains("Otp:HashKey", error.Message);
    }

    [Fact]
    public void Admin_phones_are_normalised_and_an_entry_that_is_no_phone_stops_start_up()
    {
        var parser = new PhoneNumberParser(Options.Create(new PhoneOptions()), Options.Create(new SmsOptions()));

        var admins = new AdminPhones(Options.Create(new AuthOptions { AdminPhones = ["+998 90 111 22 33", "998901112234"] }), parser);
        var error = Assert.Throws<InvalidOperationException>(() =>
            new AdminPhones(Options.Create(new AuthOptions { AdminPhones = ["+998901112233", "call me"] }), parser));

        Assert.True(admins.Contains("+998901112233") && admins.Contains("+998901112234"));
        Assert.False(admins.Contains("+998901112235"));
        Assert.StartsWith("Auth:AdminPhones has an entry that is not a phone number", error.Message);
    }

    [Fact]
    public void Outside_development_a_hash_key_without_signing_keys_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => AuthSecrets.Load(
            new OtpOptions { HashKey = Configured.HashKey }, new JwtOptions(), new TestEnvironment("Production"), Folder()));

        Assert.Contains("Jwt:SigningKeys", error.Message);
    }

    [Fact]
    public void Configured_secrets_are_used_and_the_last_key_signs()
    {
        var (_, older) = AuthSecrets.Generate();
        var jwt = new JwtOptions { SigningKeys = [older, new SigningKeyOptions { Kid = Configured.SigningKey.Kid, Pem = Configured.SigningKey.Pem }] };

        var secrets = AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, jwt, new TestEnvironment("Production"), Folder());

        Assert.Equal(2, secrets.SigningKeys.Count);
        Assert.Equal(Configured.SigningKey.Kid, secrets.CurrentSigningKey.KeyId);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Development_generates_secrets_once_and_keeps_them_in_the_data_folder()
    {
        // A data folder that does not exist yet, as on a developer's first run.
        var folder = Path.Combine(Folder(), "data");

        var first = AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new TestEnvironment("Development"), folder);
        var second = AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new TestEnvironment("Development"), folder);

        var file = Path.Combine(folder, AuthSecrets.DevelopmentFileName);
        Assert.True(File.Exists(file));
        // The file's names are a format: files written by earlier versions must stay readable.
        var written = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file)).RootElement;
        Assert.Equal(Convert.ToBase64String(first.HashKey), written.GetProperty("hash_key").GetString());
        Assert.Equal(first.CurrentSigningKey.KeyId, written.GetProperty("signing_keys")[0].GetProperty("Kid").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(first.HashKey, second.HashKey);
        Assert.Equal(first.CurrentSigningKey.KeyId, second.CurrentSigningKey.KeyId);
    }

    [Fact]
    public void A_signing_key_that_is_not_pem_is_refused_by_name()
    {
        var jwt = new JwtOptions { SigningKeys = [new SigningKeyOptions { Kid = "k1", Pem = "not a key" }] };

        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, jwt, new TestEnvironment("Production"), Folder()));

        Assert.Contains("'k1'", error.Message);
    }

    [Theory]
    [InlineData("public")]
    [InlineData("secP256k1")]
    [InlineData("brainpoolP256r1")]
    public void A_signing_key_that_cannot_sign_es256_is_refused_at_start(string kind)
    {
        using var ec = kind == "public" ? System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)
            : System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.CreateFromFriendlyName(kind));
        var pem = kind == "public" ? ec.ExportSubjectPublicKeyInfoPem() : ec.ExportPkcs8PrivateKeyPem();
        var jwt = new JwtOptions { SigningKeys = [new SigningKeyOptions { Kid = "k1", Pem = pem }] };

        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, jwt, new TestEnvironment("Production"), Folder()));

        Assert.Contains("'k1'", error.Message);
    }

    [Fact]
    public void A_test_number_with_a_malformed_code_is_refused() =>
        Assert.True(new OtpOptionsValidator(new TestEnvironment("Development"))
            .Validate(null, new OtpOptions { TestNumbers = new() { ["+998901111111"] = "12345" } }).Failed);

    [Theory]
    [InlineData("not base64!", "Otp:HashKey is not valid base64.")]
    [InlineData("c2hvcnQ=", "Otp:HashKey must be at least 32 bytes of base64.")]
    public void A_hash_key_that_is_not_32_bytes_of_base64_is_refused(string hashKey, string sentence)
    {
        var jwt = new JwtOptions { SigningKeys = [Configured.SigningKey] };

        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = hashKey }, jwt, new TestEnvironment("Production"), Folder()));

        Assert.Equal(sentence, error.Message);
    }

    [Fact]
    public void Signing_keys_need_a_kid_each_and_no_kid_twice()
    {
        var (_, other) = AuthSecrets.Generate();
        var twice = new JwtOptions { SigningKeys = [Configured.SigningKey, new SigningKeyOptions { Kid = Configured.SigningKey.Kid, Pem = other.Pem }] };
        var nameless = new JwtOptions { SigningKeys = [new SigningKeyOptions { Kid = " ", Pem = other.Pem }] };

        Assert.Equal("Jwt:SigningKeys has two keys with the same kid.", Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, twice, new TestEnvironment("Production"), Folder())).Message);
        Assert.Equal("Jwt:SigningKeys has a key without a kid.", Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, nameless, new TestEnvironment("Production"), Folder())).Message);
    }

    [Fact]
    public void In_development_a_configured_secret_wins_and_only_the_missing_one_comes_from_the_file()
    {
        var folder = Folder();
        var configured = AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, new JwtOptions(), new TestEnvironment("Development"), folder);

        var bothFolder = Folder();
        var both = AuthSecrets.Load(new OtpOptions { HashKey = Configured.HashKey }, new JwtOptions { SigningKeys = [Configured.SigningKey] },
            new TestEnvironment("Development"), bothFolder);
        var keysOnly = AuthSecrets.Load(new OtpOptions(), new JwtOptions { SigningKeys = [Configured.SigningKey] }, new TestEnvironment("Development"), Folder());

        Assert.Equal(Convert.FromBase64String(Configured.HashKey), configured.HashKey);
        Assert.NotEqual(Configured.SigningKey.Kid, configured.CurrentSigningKey.KeyId);
        Assert.True(File.Exists(Path.Combine(folder, AuthSecrets.DevelopmentFileName)));
        Assert.Equal(Configured.SigningKey.Kid, both.CurrentSigningKey.KeyId);
        Assert.False(File.Exists(Path.Combine(bothFolder, AuthSecrets.DevelopmentFileName)), "nothing is generated when nothing is missing");
        Assert.Equal(Configured.SigningKey.Kid, keysOnly.CurrentSigningKey.KeyId);
        Assert.NotEqual(Convert.FromBase64String(Configured.HashKey), keysOnly.HashKey);
    }

    [Fact]
    public void A_development_secrets_file_without_usable_keys_is_refused_once_its_writer_had_time_to_finish()
    {
        var key = new { Kid = "k1", Configured.SigningKey.Pem };
        string[] unusable =
        [
            System.Text.Json.JsonSerializer.Serialize(new { hash_key = Configured.HashKey, signing_keys = Array.Empty<object>() }),
            System.Text.Json.JsonSerializer.Serialize(new { signing_keys = new[] { key } }),
            """{"hash_key":""",
        ];

        foreach (var content in unusable)
        {
            var folder = Folder();
            var file = Path.Combine(folder, AuthSecrets.DevelopmentFileName);
            File.WriteAllText(file, content);

            var error = Assert.Throws<InvalidOperationException>(() =>
                AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new TestEnvironment("Development"), folder));

            Assert.Equal($"The development secrets file '{file}' is unreadable; delete it to generate new keys.", error.Message);
        }
    }
}
