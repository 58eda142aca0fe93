using QrMahalla.Grains.Options;

namespace QrMahalla.Unit.Tests;

/// <summary>Settings that are only safe on a developer's machine are refused in every other environment, not just Production.</summary>
public sealed class EnvironmentGuardTests
{
    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("qa")]
    public void Outside_development_test_numbers_short_codes_long_lifetimes_and_memory_storage_are_refused(string environment)
    {
        var otp = new OtpOptionsValidator(new TestEnvironment(environment));
        var storage = new StorageEnvironmentValidator(new TestEnvironment(environment));

        Assert.Contains("Otp:AllowTestNumbersInProduction", otp.Validate(null, new OtpOptions { TestNumbers = { ["998901111111"] = "424242" } }).FailureMessage);
        Assert.True(otp.Validate(null, new OtpOptions { TestNumbers = { ["998901111111"] = "424242" }, AllowTestNumbersInProduction = true }).Succeeded);
        Assert.Equal("Otp:Length must be at least 6 outside Development.", otp.Validate(null, new OtpOptions { Length = 5 }).FailureMessage);
        Assert.Equal("Otp:CodeLifetime must be at most 10 minutes outside Development.",
            otp.Validate(null, new OtpOptions { CodeLifetime = TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1) }).FailureMessage);
        Assert.True(otp.Validate(null, new OtpOptions { CodeLifetime = TimeSpan.FromMinutes(10) }).Succeeded);
        Assert.True(otp.Validate(null, new OtpOptions()).Succeeded);
        Assert.Contains("Storage:Provider 'Memory'", storage.Validate(null, new StorageOptions { Provider = StorageProvider.Memory }).FailureMessage);
        Assert.True(storage.Validate(null, new StorageOptions { Provider = StorageProvider.Sqlite }).Succeeded);
    }

    [Fact]
    public void Development_may_use_all_of_them()
    {
        var otp = new OtpOptionsValidator(new TestEnvironment("Development"));
        var storage = new StorageEnvironmentValidator(new TestEnvironment("Development"));

        Assert.True(otp.Validate(null, new OtpOptions { Length = 4, CodeLifetime = TimeSpan.FromHours(1), TestNumbers = { ["998901111111"] = "4242" } }).Succeeded);
        Assert.True(storage.Validate(null, new StorageOptions { Provider = StorageProvider.Memory }).Succeeded);
    }

    [Fact]
    public void The_primary_silo_port_follows_the_silo_port_unless_it_is_set()
    {
        Assert.Equal(12000, new ClusteringOptions { SiloPort = 12000 }.EffectivePrimarySiloPort);
        Assert.Equal(11111, new ClusteringOptions { SiloPort = 12000, PrimarySiloPort = 11111 }.EffectivePrimarySiloPort);
        Assert.Equal(11111, new ClusteringOptions().EffectivePrimarySiloPort);
    }
}
