using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Secrets;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Telemetry;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Grains.Hosting;

/// <summary>The silo wiring shared by the Silo executable, the co-hosted gateway and the test clusters.</summary>
public static class QrMahallaSiloExtensions
{
    /// <summary>A whole silo: domain services, clustering and grain storage, all read from configuration.</summary>
    public static IHostApplicationBuilder AddQrMahallaSilo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddQrMahallaDomain(builder.Environment);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CodeStateSweeper>());
        builder.UseOrleans(silo =>
        {
            silo.UseQrMahallaClustering(builder.Configuration)
                .AddQrMahallaStorage(builder.Configuration);
            if (TelemetryExtensions.TracingEnabled(builder.Configuration))
            {
                silo.AddActivityPropagation();
            }

            if (DashboardEnabled(builder.Services, builder.Configuration))
            {
                silo.AddDashboard();
            }
        });
        return builder;
    }

    /// <summary>
    /// Options, secrets and the services grains use. Registers a start-up check that runs before Orleans starts:
    /// secrets are loaded and the schema applied, so a misconfiguration stops the process with one sentence.
    /// </summary>
    public static IServiceCollection AddQrMahallaDomain(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddSharedDomain();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageEnvironmentValidator>());
        services.AddSingleton(sp => AuthSecrets.Load(
            sp.GetRequiredService<IOptions<OtpOptions>>().Value,
            sp.GetRequiredService<IOptions<JwtOptions>>().Value,
            environment,
            Path.GetFullPath("data")));
        services.AddSingleton<OtpCodes>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<SmsText>();
        services.AddSingleton<StorageProbe>();
        services.AddSingleton<CodeStateSweeper>();
        services.AddQrMahallaSms(environment);
        services.AddSingleton<AdminPhones>();
        services.AddSingleton<AuditPseudonym>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IAdminStore>(sp =>
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageProvider.Memory
                ? new MemoryAdminStore()
                : ActivatorUtilities.CreateInstance<SqlAdminStore>(sp));
        services.AddSingleton<UserReindexer>();
        services.AddSingleton<SiloStartupCheck>();
        services.AddHostedService(sp => sp.GetRequiredService<SiloStartupCheck>());
        return services;
    }

    /// <summary>What a pure gateway needs too: options, phone parsing and the rule clock.</summary>
    public static IServiceCollection AddSharedDomain(this IServiceCollection services)
    {
        services.AddOptions<OtpOptions>().BindConfiguration(OtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OtpOptions>, OtpOptionsValidator>());
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmsOptions>().BindConfiguration(SmsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PhoneOptions>().BindConfiguration(PhoneOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        // Storage, clustering: where the Orleans wiring read them first (EarlyOptions), IOptions serves that instance.
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>());
        services.AddOptions<ClusteringOptions>().BindConfiguration(ClusteringOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(RuleClock.System);
        services.AddPhoneMaskedLogging();
        services.AddMetrics();
        services.TryAddSingleton<QrMahallaMetrics>();
        services.AddSingleton<PhoneNumberParser>();
        return services;
    }

    public static bool DashboardEnabled(IServiceCollection services, IConfiguration configuration) =>
        EarlyOptions.Bind<ClusterDashboardOptions>(services, configuration, ClusterDashboardOptions.Section).Enabled;
}
