using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using QrMahalla.Gateway.Auth;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Telemetry;
using QrMahalla.Grains.Tokens;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;
using OpenTelemetry.Trace;

namespace QrMahalla.Gateway.Hosting;

public static partial class GatewayExtensions
{
    public const string CorsPolicy = "web-app";

    public static WebApplicationBuilder AddQrMahallaGateway(this WebApplicationBuilder builder)
    {
        var gateway = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new();
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.Section);

        if (gateway.CoHostSilo)
        {
            builder.AddQrMahallaSilo();
        }
        else
        {
            builder.Services.AddSharedDomain();
            builder.UseOrleansClient(client =>
            {
                client.UseQrMahallaClusterClient(builder.Configuration)
                    .UseConnectionRetryFilter(RetryForeverAsync);
                if (TelemetryExtensions.TracingEnabled(builder.Configuration))
                {
                    client.AddActivityPropagation();
                }

                if (QrMahallaSiloExtensions.DashboardEnabled(builder.Configuration))
                {
                    client.AddDashboard();
                }
            });

            // Kestrel starts while the client is still looking for silos, so /health/live answers from the start.
            builder.Services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        }

        builder.Services.AddSingleton(sp => new ClusterSigningKeys(sp.GetRequiredService<IGrainFactory>(), TimeProvider.System));
        builder.Services.AddSingleton<RefreshTokenValidator>();
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, RuleClock, ClusterSigningKeys>((options, jwt, clock, keys) =>
            {
                options.MapInboundClaims = false;
                options.RequireHttpsMetadata = false;
                options.ConfigurationManager = new ClusterKeysConfigurationManager(keys);
                options.TokenValidationParameters = TokenValidation.Parameters(jwt.Value, clock, TokenIssuer.AccessTokenType);
                options.Events = new JwtBearerEvents
                {
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        await Errors.InvalidToken().ExecuteAsync(context.HttpContext);
                    },
                };
            });
        builder.Services.AddAuthorization();

        builder.Services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins([.. gateway.CorsOrigins])
            .WithMethods("GET", "POST", "PATCH", "DELETE")
            .WithHeaders("Authorization", "Content-Type")));

        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
            // ASP.NET trusts loopback by default; here only the configured proxies are believed.
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in gateway.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }
        });

        builder.AddQrMahallaTelemetry(gateway.CoHostSilo ? "qrmahalla" : "qrmahalla-gateway", tracing => tracing.AddAspNetCoreInstrumentation())
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation()
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        var development = builder.Environment.IsDevelopment();
        builder.Services.AddOptions<QrMahalla.Grains.Options.DashboardOptions>().BindConfiguration(QrMahalla.Grains.Options.DashboardOptions.Section)
            .Validate(d => !d.Enabled || development || (d.Username is { Length: > 0 } && d.Password is { Length: >= 12 }),
                "Dashboard:Username and Dashboard:Password (12 characters or more) are required for the dashboard outside Development.")
            .ValidateOnStart();
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        return builder;
    }

    /// <summary>A gateway keeps looking for the cluster until it finds one; meanwhile the API answers 503.</summary>
    private static async Task<bool> RetryForeverAsync(Exception exception, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        return !cancellationToken.IsCancellationRequested;
    }

    /// <summary>A co-hosted silo's start-up checks, run before the host starts so a failure is one sentence.</summary>
    public static async Task RunStartupChecksAsync(this WebApplication app)
    {
        // Options first: a bad setting stops the process here with one sentence, before the host would log it.
        app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        if (app.Services.GetService<SiloStartupCheck>() is { } check)
        {
            await check.StartAsync(CancellationToken.None);
        }
    }

    public static WebApplication UseQrMahallaGateway(this WebApplication app)
    {
        // With no known proxies the middleware would believe any X-Forwarded-For, so it only runs when some are listed.
        if (app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.KnownProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = HandleFaultAsync,

            // HandleFaultAsync logs each fault once, at the level it deserves; no second "unhandled" error with a stack.
            SuppressDiagnosticsCallback = _ => true,
        });
        app.UseStatusCodePages(context => WriteStatusAsync(context.HttpContext));

        // Old clients call the Django paths with a trailing slash; API routes are declared without one.
        app.Use((context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path is { Length: > 5 } && path.EndsWith('/') && (path.StartsWith("/api/", StringComparison.Ordinal) || path == "/admin/"))
            {
                context.Request.Path = path.TrimEnd('/');
            }

            return next(context);
        });
        app.UseRouting();
        app.UseCors(CorsPolicy);
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Orleans and storage faults become a clean 503; nothing else about the fault leaves the process.</summary>
    private static async Task HandleFaultAsync(HttpContext context)
    {
        var fault = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("QrMahalla.Gateway");
        if (fault is BadHttpRequestException bad)
        {
            await (bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? Errors.TooLarge() : Errors.InvalidRequest("The request could not be read.")).ExecuteAsync(context);
            return;
        }

        if (IsClusterUnreachable(fault))
        {
            LogClusterUnreachable(logger, fault!.GetType().Name, context.Request.Path);
        }
        else
        {
            LogFault(logger, fault?.GetType().Name ?? "unknown", context.Request.Path, fault);
        }

        await Errors.Unavailable().ExecuteAsync(context);
    }

    /// <summary>
    /// Faults that only say the cluster cannot be reached right now (a silo died, none has joined yet, a call timed
    /// out): expected while a cluster heals, so they are logged without a stack trace.
    /// </summary>
    public static bool IsClusterUnreachable(Exception? fault) => fault is SiloUnavailableException
        or OrleansMessageRejectionException or ConnectionFailedException or TimeoutException
        or GatewayTooBusyException or ClientNotAvailableException or StorageBusyException
        // Before the client has seen a silo it knows no grain implementations at all.
        || (fault is ArgumentException && fault.Message.StartsWith("Could not find an implementation for interface", StringComparison.Ordinal));

    private static Task WriteStatusAsync(HttpContext context) => context.Response.StatusCode switch
    {
        404 => Errors.Of(404, "No such endpoint.", "not_found").ExecuteAsync(context),
        405 => Errors.Of(405, "This method is not allowed here.", "method_not_allowed").ExecuteAsync(context),
        415 => Errors.Of(415, "Send JSON or a form.", "unsupported_media_type").ExecuteAsync(context),
        _ => Task.CompletedTask,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request to {Path} found the cluster unreachable ({Fault}); answered 503")]
    private static partial void LogClusterUnreachable(ILogger logger, string fault, PathString path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Request to {Path} failed with {Fault}; answered 503")]
    private static partial void LogFault(ILogger logger, string fault, PathString path, Exception? exception);
}
