namespace QrMahalla.Gateway.Apis;

public static class HealthApi
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        var health = routes.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new { status = "live" }))
            .WithName("Live").WithSummary("The gateway process answers.");
        health.MapGet("/ready", ReadyAsync)
            .WithName("Ready").WithSummary("The cluster and its storage are reachable.")
            .Produces<ApiError>(503);
        return routes;
    }

    private static async Task<IResult> ReadyAsync(IGrainFactory grains)
    {
        try
        {
            var report = await grains.GetGrain<IHealthGrain>(0).CheckAsync().WaitAsync(ReadyTimeout);
            return report.StorageReachable
                ? TypedResults.Ok(new { status = "ready" })
                : Errors.Unavailable();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not ready is the whole answer: whatever kept the cluster from replying, it cannot serve logins now.
            return Errors.Unavailable();
        }
    }
}
