using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Secrets;

namespace QrMahalla.Cluster.Tests;

public sealed class SecretsTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_missing_secrets_stop_the_process_with_one_sentence(string environment)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new Environment(environment), TestSettings.NewTempFolder("secrets")));

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
            new OtpOptions { HashKey = TestSettings.Secrets.HashKey }, new JwtOptions(), new Environment("Production"), TestSettings.NewTempFolder("secrets")));

        Assert.Contains("Jwt:SigningKeys", error.Message);
    }

    [Fact]
    public void Configured_secrets_are_used_and_the_last_key_signs()
    {
        var (_, older) = AuthSecrets.Generate();
        var jwt = new JwtOptions { SigningKeys = [older, new SigningKeyOptions { Kid = TestSettings.Secrets.Kid, Pem = TestSettings.Secrets.Pem }] };

        var secrets = AuthSecrets.Load(new OtpOptions { HashKey = TestSettings.Secrets.HashKey }, jwt, new Environment("Production"), TestSettings.NewTempFolder("secrets"));

        Assert.Equal(2, secrets.SigningKeys.Count);
        Assert.Equal(TestSettings.Secrets.Kid, secrets.CurrentSigningKey.KeyId);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Development_generates_secrets_once_and_keeps_them_in_the_data_folder()
    {
        var folder = TestSettings.NewTempFolder("secrets");

        var first = AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new Environment("Development"), folder);
        var second = AuthSecrets.Load(new OtpOptions(), new JwtOptions(), new Environment("Development"), folder);

        var file = Path.Combine(folder, AuthSecrets.DevelopmentFileName);
        Assert.True(File.Exists(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(first.HashKey, second.HashKey);
        Assert.Equal(first.CurrentSigningKey.KeyId, second.CurrentSigningKey.KeyId);
    }

    [Fact]
    public void A_signing_key_that_is_not_pem_is_refused_by_name()
    {
        var jwt = new JwtOptions { SigningKeys = [new SigningKeyOptions { Kid = "k1", Pem = "not a key" }] };

        var error = Assert.Throws<InvalidOperationException>(() =>
            AuthSecrets.Load(new OtpOptions { HashKey = TestSettings.Secrets.HashKey }, jwt, new Environment("Production"), TestSettings.NewTempFolder("secrets")));

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
            AuthSecrets.Load(new OtpOptions { HashKey = TestSettings.Secrets.HashKey }, jwt, new Environment("Production"), TestSettings.NewTempFolder("secrets")));

        Assert.Contains("'k1'", error.Message);
    }

    [Fact]
    public void Test_numbers_are_refused_outside_development_unless_allowed()
    {
        var numbers = new OtpOptions { TestNumbers = new() { ["+998901111111"] = "424242" } };
        var allowed = new OtpOptions { TestNumbers = numbers.TestNumbers, AllowTestNumbersInProduction = true };

        var refused = new OtpOptionsValidator(new Environment("Production")).Validate(null, numbers);

        Assert.True(refused.Failed);
        Assert.Contains("Otp:AllowTestNumbersInProduction", refused.FailureMessage);
        Assert.True(new OtpOptionsValidator(new Environment("Production")).Validate(null, allowed).Succeeded);
        Assert.True(new OtpOptionsValidator(new Environment("Staging")).Validate(null, numbers).Failed);
        Assert.True(new OtpOptionsValidator(new Environment("Development")).Validate(null, numbers).Succeeded);
        Assert.True(new OtpOptionsValidator(new Environment("Production")).Validate(null, new OtpOptions()).Succeeded);
    }

    [Fact]
    public void A_test_number_with_a_malformed_code_is_refused() =>
        Assert.True(new OtpOptionsValidator(new Environment("Development"))
            .Validate(null, new OtpOptions { TestNumbers = new() { ["+998901111111"] = "12345" } }).Failed);

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = Path.GetTempPath();
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
