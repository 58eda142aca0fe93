using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.Hosting;
using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Otp;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Secrets;
using QrMahalla.Grains.Sms;
using QrMahalla.Grains.Storage.Batching;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Telemetry;
using QrMahalla.Grains.Tokens;

namespace QrMahalla.Grains.Hosting;

/// <summary>The silo wiring shared by the Silo executable, the co-hosted gateway and the test clusters.</summary>
public static class QrMahallaSiloExtensions
{
    public const string MembershipSection = "Cluster:Membership";

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

            if (DashboardEnabled(builder.Configuration))
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
        services.AddSingleton<ISmsSender>(sp => CreateSmsSender(sp, environment));
        services.AddSingleton<EskizSmsSender>();
        services.AddSingleton<WebhookSmsSender>();
        services.AddHttpClient(EskizSmsSender.ClientName).AddSmsResilience();
        services.AddHttpClient(WebhookSmsSender.ClientName).AddSmsResilience();
        services.AddSingleton<AdminPhones>();
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

    /// <summary>Localhost clustering for one machine, or the ADO.NET membership table on PostgreSQL / SQL Server.</summary>
    public static ISiloBuilder UseQrMahallaClustering(this ISiloBuilder silo, IConfiguration configuration)
    {
        var (cluster, storage) = Read(configuration);
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(MembershipSection));
        silo.Services.Configure<GrainCollectionOptions>(configuration.GetSection("Cluster:GrainCollection"));
        silo.Services.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);
        if (cluster.Provider == ClusterProvider.Localhost)
        {
            return silo.UseLocalhostClustering(
                cluster.SiloPort,
                cluster.GatewayPort,
                new IPEndPoint(IPAddress.Loopback, cluster.PrimarySiloPort),
                cluster.ServiceId,
                cluster.ClusterId);
        }

        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        silo.ConfigureEndpoints(AdvertisedAddress(cluster), cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: cluster.AdvertisedAddress is not null);
        return silo.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageDatabase.Invariant(StorageDatabase.Engine(cluster.Provider));
            o.ConnectionString = cluster.ConnectionString ?? storage.ConnectionString;
        });
    }

    /// <summary>How a pure client (a gateway that hosts no silo) finds the cluster.</summary>
    public static IClientBuilder UseQrMahallaClusterClient(this IClientBuilder client, IConfiguration configuration)
    {
        var (cluster, storage) = Read(configuration);
        client.Services.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = cluster.ResponseTimeout);

        // A gateway must know every silo's gateway before one dies, or it has nowhere to fail over to.
        client.Services.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = cluster.GatewayListRefreshPeriod);
        if (cluster.Provider == ClusterProvider.Localhost)
        {
            return client.UseLocalhostClustering(cluster.GatewayPort, cluster.ServiceId, cluster.ClusterId);
        }

        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        return client.UseAdoNetClustering(o =>
        {
            o.Invariant = StorageDatabase.Invariant(StorageDatabase.Engine(cluster.Provider));
            o.ConnectionString = cluster.ConnectionString ?? storage.ConnectionString;
        });
    }

    public static ISiloBuilder AddQrMahallaStorage(this ISiloBuilder silo, IConfiguration configuration) =>
        silo.AddQrMahallaStorage(StorageNames.Auth, configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new());

    /// <summary>
    /// Grain storage under <paramref name="name"/>: the group-commit writer or Orleans' ADO.NET provider, on the same
    /// tables with the same payloads and versions, or memory.
    /// </summary>
    public static ISiloBuilder AddQrMahallaStorage(this ISiloBuilder silo, string name, StorageOptions storage)
    {
        if (storage.Provider == StorageProvider.Memory)
        {
            return silo.AddMemoryGrainStorage(name);
        }

        if (storage.EffectiveWriter == StorageWriter.Batched)
        {
            silo.Services.AddGrainStorage(name, (services, key) => BatchedGrainStorage.Create(services, key, storage));
            return silo;
        }

        return silo.AddAdoNetGrainStorage(name, options =>
        {
            options.Invariant = StorageDatabase.Invariant(storage.Provider);
            options.ConnectionString = storage.ConnectionString;
            options.DeleteStateOnClear = true;
            options.GrainStorageSerializer = new JsonGrainStateSerializer();
        });
    }

    public static bool DashboardEnabled(IConfiguration configuration) =>
        configuration.GetSection(QrMahalla.Grains.Options.DashboardOptions.Section).Get<QrMahalla.Grains.Options.DashboardOptions>()?.Enabled == true;

    private static (ClusteringOptions Cluster, StorageOptions Storage) Read(IConfiguration configuration) =>
        (configuration.GetSection(ClusteringOptions.Section).Get<ClusteringOptions>() ?? new(),
         configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new());

    private static IPAddress AdvertisedAddress(ClusteringOptions cluster)
    {
        if (cluster.AdvertisedAddress is null)
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(cluster.AdvertisedAddress, out var address)
            ? address
            : throw new InvalidOperationException($"Cluster:AdvertisedAddress '{cluster.AdvertisedAddress}' is not an IP address.");
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

        ISmsSender sender = provider switch
        {
            SmsProvider.Console => new ConsoleSmsSender(),
            SmsProvider.Eskiz => Require(options.Eskiz is { Email.Length: > 0, Password.Length: > 0 },
                "Sms:Eskiz:Email and Sms:Eskiz:Password are required for the Eskiz provider.", services.GetRequiredService<EskizSmsSender>),
            SmsProvider.Webhook => Require(options.Webhook is { Url: not null, Secret.Length: >= 16 },
                "Sms:Webhook:Url and Sms:Webhook:Secret (16 characters or more) are required for the Webhook provider.", services.GetRequiredService<WebhookSmsSender>),
            _ => ActivatorUtilities.CreateInstance<FileSmsSender>(services),
        };
        return new InstrumentedSmsSender(sender, provider.ToString().ToLowerInvariant(), services.GetRequiredService<QrMahallaMetrics>());
    }

    private static ISmsSender Require(bool configured, string problem, Func<ISmsSender> create) =>
        configured ? create() : throw new InvalidOperationException(problem);

    /// <summary>
    /// Bounded retries with jitter and a circuit breaker, all inside <c>Sms:Timeout</c>, so a failing provider gives
    /// the client a quick 502 and a retried send still counts once toward the phone's hourly cap.
    /// </summary>
    private static IHttpClientBuilder AddSmsResilience(this IHttpClientBuilder client)
    {
        client.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions options, IServiceProvider services) =>
        {
            var total = services.GetRequiredService<IOptions<SmsOptions>>().Value.Timeout;
            options.TotalRequestTimeout.Timeout = total;

            // One attempt may use the whole budget: a slow provider may still deliver, and a retry would send twice.
            options.AttemptTimeout.Timeout = total;
            options.Retry.MaxRetryAttempts = 2;
            options.Retry.UseJitter = true;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
            options.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException } => true,
                { Result.StatusCode: System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.RequestTimeout } => true,
                { Result: { } response } => (int)response.StatusCode >= 500,
                _ => false,
            });
            options.CircuitBreaker.SamplingDuration = options.AttemptTimeout.Timeout * 2 + TimeSpan.FromSeconds(30);
            options.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(15);
        });
        return client;
    }
}

/// <summary>
/// Fails start-up, before Orleans starts, on missing secrets, a bad SMS choice or unusable storage. The executables
/// run it before starting the host (so a failure is one sentence, not a host error with a stack trace); as a hosted
/// service it also guards hosts that start directly, such as test clusters. It runs once.
/// </summary>
public sealed class SiloStartupCheck(
    IServiceProvider services, IOptions<StorageOptions> storage, IOptions<ClusteringOptions> cluster) : IHostedService
{
    private readonly SemaphoreSlim once = new(1, 1);
    private bool done;

    public static Task RunAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        // Options first: a bad setting stops the process here with one sentence, before the host would log it.
        services.GetService<IStartupValidator>()?.Validate();
        return services.GetRequiredService<SiloStartupCheck>().StartAsync(cancellationToken);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await once.WaitAsync(cancellationToken);
        try
        {
            if (!done)
            {
                await CheckAsync(cancellationToken);
                done = true;
            }
        }
        finally
        {
            once.Release();
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<AuthSecrets>();
        _ = services.GetRequiredService<ISmsSender>();
        _ = services.GetRequiredService<AdminPhones>();
        if (storage.Value.ApplySchema)
        {
            SchemaInstaller.Apply(storage.Value, cluster.Value);
        }
        else if (await services.GetRequiredService<StorageProbe>().CheckAsync(cancellationToken) is { } problem)
        {
            throw new InvalidOperationException($"Storage:ConnectionString: {problem}; check it, or apply the schema with QrMahalla.Silo migrate.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
