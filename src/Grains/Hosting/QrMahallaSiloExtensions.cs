using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using QrMahalla.Grains.Grains;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Secrets;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Grains.Hosting;

/// <summary>The silo wiring shared by the Silo executable, the co-hosted gateway and the test clusters.</summary>
public static class QrMahallaSiloExtensions
{
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>A whole silo: domain services, clustering and grain storage, all read from configuration.</summary>
    public static IHostApplicationBuilder AddQrMahallaSilo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddQrMahallaDomain(builder.Environment);
        builder.UseOrleans(silo => silo
            .UseQrMahallaClustering(builder.Configuration)
            .AddQrMahallaStorage(builder.Configuration));
        return builder;
    }

    /// <summary>
    /// Options, secrets and the services grains use. Registers a start-up check that runs before Orleans starts:
    /// secrets are loaded and the schema applied, so a misconfiguration stops the process with one sentence.
    /// </summary>
    public static IServiceCollection AddQrMahallaDomain(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddOptions<OtpOptions>().BindConfiguration(OtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClusteringOptions>().BindConfiguration(ClusteringOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSharedDomain();
        services.AddSingleton(sp => AuthSecrets.Load(
            sp.GetRequiredService<IOptions<OtpOptions>>().Value,
            sp.GetRequiredService<IOptions<JwtOptions>>().Value,
            environment,
            Path.GetFullPath("data")));
        services.AddSingleton<OtpCodes>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<SmsText>();
        services.AddSingleton<StorageProbe>();
        services.AddSingleton<ISmsSender>(sp => CreateSmsSender(sp, environment));
        services.AddHostedService<SiloStartupCheck>();
        return services;
    }

    /// <summary>What a pure gateway needs too: phone parsing and the rule clock.</summary>
    public static IServiceCollection AddSharedDomain(this IServiceCollection services)
    {
        services.AddOptions<PhoneOptions>().BindConfiguration(PhoneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(RuleClock.System);
        services.AddSingleton<PhoneNumberParser>();
        return services;
    }

    public static ISiloBuilder UseQrMahallaClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var cluster = configuration.GetSection(ClusteringOptions.Section).Get<ClusteringOptions>() ?? new();
        return silo.UseLocalhostClustering(
            cluster.SiloPort,
            cluster.GatewayPort,
            new IPEndPoint(IPAddress.Loopback, cluster.PrimarySiloPort),
            cluster.ServiceId,
            cluster.ClusterId);
    }

    public static ISiloBuilder AddQrMahallaStorage(this ISiloBuilder silo, IConfiguration configuration)
    {
        var storage = configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new();
        return storage.Provider switch
        {
            StorageProvider.Memory => silo.AddMemoryGrainStorage(StorageNames.Auth),
            _ => silo.AddAdoNetGrainStorage(StorageNames.Auth, options =>
            {
                options.Invariant = SqliteInvariant;
                options.ConnectionString = storage.ConnectionString;
                options.DeleteStateOnClear = true;
                options.GrainStorageSerializer = new JsonGrainStateSerializer();
            }),
        };
    }

    private static ISmsSender CreateSmsSender(IServiceProvider services, IHostEnvironment environment)
    {
        var options = services.GetRequiredService<IOptions<SmsOptions>>().Value;
        var provider = options.Provider
            ?? (environment.IsDevelopment()
                ? SmsProvider.File
                : throw new InvalidOperationException("Sms:Provider is not configured; outside Development an SMS provider must be chosen."));

        if (environment.IsProduction() && provider is SmsProvider.File or SmsProvider.Console)
        {
            throw new InvalidOperationException($"Sms:Provider '{provider}' is a development sink and is refused in Production.");
        }

        return provider switch
        {
            SmsProvider.Console => new ConsoleSmsSender(),
            _ => ActivatorUtilities.CreateInstance<FileSmsSender>(services),
        };
    }
}

/// <summary>Fails start-up, before Orleans starts, on missing secrets, a bad SMS choice or unusable storage.</summary>
internal sealed class SiloStartupCheck(IServiceProvider services, IOptions<StorageOptions> storage) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<AuthSecrets>();
        _ = services.GetRequiredService<ISmsSender>();
        if (storage.Value.ApplySchema)
        {
            SchemaInstaller.Apply(storage.Value);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
