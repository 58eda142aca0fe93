namespace QrMahalla.EndToEnd.Tests;

/// <summary>
/// Processes that must refuse to start, or do one job and exit: each answers within seconds, so they run beside the
/// slower failover tests of <see cref="ClusterProcessTests"/>.
/// </summary>
public sealed class ProcessStartupTests
{
    [Fact]
    public async Task Migrate_applies_the_schema_and_exits()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("migrate");
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Storage__Provider"] = "PostgreSql",
            ["Storage__ConnectionString"] = connectionString,
            ["Cluster__Provider"] = "PostgreSql",
        };
        await using var migrate = ServiceProcess.Start("Silo", "migrate", environment, TestSettings.NewTempFolder("migrate"), "migrate");

        Assert.True(await migrate.WaitForExitAsync(TimeSpan.FromSeconds(60)), "migrate kept running");

        Assert.Equal(0, migrate.ExitCode);
        Assert.Equal(SchemaKeys.PostgresCount, await PostgresServer.ScalarAsync(connectionString, "SELECT COUNT(*) FROM OrleansQuery"));
        Assert.Equal(0, await PostgresServer.ScalarAsync(connectionString, "SELECT COUNT(*) FROM qrm_membership"));
    }

    [Theory]
    [InlineData("Production", "Dashboard__Enabled", "true", "Dashboard:Username and Dashboard:Password")]
    [InlineData("Production", "Otp__TestNumbers__998901111111", "424242", "Otp:TestNumbers is refused outside Development")]
    [InlineData("Production", "Sms__Provider", "File", "Sms:Provider 'File' is a development sink and is refused outside Development")]
    [InlineData("Staging", "Sms__Provider", "Console", "Sms:Provider 'Console' is a development sink and is refused outside Development")]
    [InlineData("Staging", "Storage__Provider", "Memory", "Storage:Provider 'Memory' keeps nothing across a restart")]
    public async Task A_gateway_outside_development_refuses_unsafe_settings_with_one_sentence(string environmentName, string key, string value, string sentence)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environmentName,
            ["Storage__ConnectionString"] = $"Data Source={Path.Combine(TestSettings.NewTempFolder("prod"), "grains.db")}",
            ["Sms__Provider"] = "Webhook",
            ["Sms__Webhook__Url"] = "http://127.0.0.1:9/sms",
            ["Sms__Webhook__Secret"] = "a-webhook-secret-for-production-tests",
            ["Urls"] = $"http://127.0.0.1:{TestSettings.FreePort()}",
            ["Cluster__SiloPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__PrimarySiloPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__GatewayPort"] = TestSettings.FreePort().ToString(),
            [key] = value,
        };
        foreach (var (secret, secretValue) in TestSettings.SecretSettings())
        {
            environment[secret.Replace(":", "__")] = secretValue!;
        }

        await using var gateway = ServiceProcess.Start("Gateway", "gateway", environment, TestSettings.NewTempFolder("prod-gateway"));

        Assert.True(await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the gateway kept running");
        Assert.Equal(1, gateway.ExitCode);
        Assert.Contains(sentence, gateway.Output());
        Assert.DoesNotContain("   at ", gateway.Output());
    }

    [Theory]
    [InlineData(false, "Otp:HashKey is not configured; outside Development the signing keys and the code-hash key must come from configuration.")]
    [InlineData(true, "Jwt:SigningKeys is not configured; outside Development the signing keys and the code-hash key must come from configuration.")]
    public async Task A_silo_outside_development_without_its_secrets_stops_with_one_sentence_and_generates_none(bool withHashKey, string sentence)
    {
        var folder = TestSettings.NewTempFolder("no-secrets");
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Storage__ConnectionString"] = $"Data Source={Path.Combine(folder, "grains.db")}",
            ["Sms__Provider"] = "Webhook",
            ["Sms__Webhook__Url"] = "http://127.0.0.1:9/sms",
            ["Sms__Webhook__Secret"] = "a-webhook-secret-for-production-tests",
            ["Cluster__SiloPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__GatewayPort"] = TestSettings.FreePort().ToString(),
        };
        if (withHashKey)
        {
            environment["Otp__HashKey"] = TestSettings.Secrets.HashKey;
        }

        await using var silo = ServiceProcess.Start("Silo", "silo", environment, folder);

        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo kept running");
        Assert.Equal(1, silo.ExitCode);
        Assert.Contains(sentence, silo.Output());
        Assert.DoesNotContain("   at ", silo.Output());
        Assert.Empty(Directory.GetFiles(folder, "dev-secrets.json", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_silo_whose_primary_never_listens_stops_with_one_sentence_naming_the_setting()
    {
        var primary = TestSettings.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = $"Data Source={Path.Combine(TestSettings.NewTempFolder("primary"), "grains.db")}",
            ["Sms__Provider"] = "File",
            ["Cluster__SiloPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__GatewayPort"] = TestSettings.FreePort().ToString(),
            ["Cluster__PrimarySiloPort"] = primary.ToString(),
            ["Cluster__PrimarySiloWait"] = "00:00:02",
        };
        await using var silo = ServiceProcess.Start("Silo", "silo", environment, TestSettings.NewTempFolder("primary-silo"));

        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(90)), "the silo kept running");

        Assert.Equal(1, silo.ExitCode);
        Assert.Contains($"Cluster:PrimarySiloPort {primary}: no silo listens on 127.0.0.1:{primary}", silo.Output());
        Assert.DoesNotContain("   at ", silo.Output());
    }

    [Theory]
    [InlineData("SqlServer", "Server=127.0.0.1,1;User ID=sa;Password=x;Connect Timeout=3;Encrypt=false", "Storage:ConnectionString does not reach a usable SqlServer database")]
    [InlineData("PostgreSql", "Host=127.0.0.1;Port=1;Username=nobody;Timeout=3", "Storage:ConnectionString does not reach a usable PostgreSql database")]
    public async Task A_silo_whose_database_is_unreachable_stops_with_one_sentence(string provider, string connectionString, string sentence)
    {
        var folder = TestSettings.NewTempFolder("unreachable");
        var environment = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["Storage__Provider"] = provider,
            ["Storage__ConnectionString"] = connectionString,
            ["Cluster__Provider"] = provider,
            ["Sms__Provider"] = "File",
        };
        await using var silo = ServiceProcess.Start("Silo", "silo", environment, folder);

        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo kept running");

        Assert.Equal(1, silo.ExitCode);
        var text = silo.Output();
        Assert.Contains(sentence, text);
        Assert.DoesNotContain("   at ", text);
    }
}
