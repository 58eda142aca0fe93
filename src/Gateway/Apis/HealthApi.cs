namespace QrMahalla.Gateway.Apis;

/// <summary>
/// The three probes an orchestrator asks. <c>live</c>: the process answers (no grain, no database). <c>startup</c>: the
/// cluster has answered once (a co-hosted silo has joined, a pure client has connected). <c>ready</c>: the cluster
/// answers now and no graceful shutdown has begun; storage is reported in the body, not a gate, so a database
/// restart does not take every gateway out of service at once (requests that need storage answer 503 meanwhile).
/// </summary>
public static class HealthApi
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new { status = "live" }))
            .WithName("Live").WithSummary("The gateway process answers.");
        health.MapGet("/startup", StartupAsync)
            .WithName("Startup").WithSummary("The gateway has reached the cluster once.")
            .Produces<ApiError>(503);
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("The cluster answers and no shutdown has begun; storage is reported, not required.")
            .Produces<ApiError>(503);
        return routes;
    }

    private static async Task<IResult> StartupAsync(IGrainFactory grains, ClusterReached reached) =>
        reached.Once || await CheckAsync(grains, reached) is not null
            ? TypedResults.Ok(new { status = "started" })
            : Errors.Unavailable();

    private static async Task<IResult> ReadyAsync(IGrainFactory grains, ClusterReached reached, ShutdownState shutdown)
    {
        if (shutdown.Begun)
        {
            return Stopping();
        }

        return await CheckAsync(grains, reached) is { } report
            ? TypedResults.Ok(new { status = "ready", storage = report.StorageReachable ? "reachable" : "unreachable" })
            : Errors.Unavailable();
    }

    public static JsonHttpResult<ApiError> Stopping() => Errors.Of(503, "This instance is shutting down.", "stopping");

    /// <summary>The cluster's own health report, or null when no silo answered in time.</summary>
    private static async Task<HealthReport?> CheckAsync(IGrainFactory grains, ClusterReached reached)
    {
        try
        {
            var report = await grains.GetGrain<IHealthGrain>(0).CheckAsync().WaitAsync(ReadyTimeout);
            reached.Once = true;
            return report;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever kept the cluster from replying, it cannot serve logins now.
            return null;
        }
    }
}

/// <summary>Whether a graceful shutdown has begun (SIGTERM: the host's <c>ApplicationStopping</c>).</summary>
public class ShutdownState(IHostApplicationLifetime lifetime)
{
    public virtual bool Begun => lifetime.ApplicationStopping.IsCancellationRequested;
}

/// <summary>Whether this gateway has ever had an answer from the cluster (the startup probe passes for good then).</summary>
public sealed class ClusterReached
{
    private volatile bool once;

    public bool Once
    {
        get => once;
        set => once |= value;
    }
}
