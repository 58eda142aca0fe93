using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace QrMahalla.Grains.Hosting;

/// <summary>
/// A pure client's answer to a silo that vanished mid-call. Orleans holds a client's pending grain call until
/// <c>Cluster:ResponseTimeout</c> even when the silo it went to is gone: a vanished host sends no RST, and a client is
/// never told which silo (as its gateway, or as the grain's host) a call reached, so it cannot break the call itself
/// the way a silo does. What a client does see is the loss of a gateway connection: at once when a connection breaks,
/// or when the membership table declares a silo dead and the gateway list refresh drops it. From that moment every
/// call begun before it gets <c>Cluster:DepartureGrace</c> more to answer; one still silent then fails with
/// <see cref="CallLostWithSiloException"/> (a 503 at the HTTP edge), and Orleans' own call runs on to its timeout
/// unobserved. Calls begun after the loss are not touched, and nothing is retried: the lost silo may have run the call.
/// A call that was only slow (a live silo waiting on the SMS provider past the grace) is answered 503 too; its code
/// still works, and a second send meets the cooldown, which says how long to wait.
/// </summary>
public sealed partial class DepartedSiloCalls(TimeSpan grace, TimeProvider time, ILogger<DepartedSiloCalls> logger) : IOutgoingGrainCallFilter
{
    private Era current = new(time);

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        var era = Volatile.Read(ref current);
        var call = context.Invoke();
        if (call.IsCompleted)
        {
            await call;
            return;
        }

        era.Enter();
        try
        {
            await call.WaitAsync(era.Ended);
            return;
        }
        catch (OperationCanceledException) when (era.Ended.IsCancellationRequested)
        {
            // Given up on below, unless the answer came in the same instant.
        }
        finally
        {
            era.Leave();
        }

        if (call.IsCompleted)
        {
            await call;
            return;
        }

        // The answer, should it still come, is dropped; its fault (usually the response timeout) is observed here.
        _ = call.ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
        throw new CallLostWithSiloException(context.InterfaceName, context.MethodName, grace);
    }

    /// <summary>Registered with the client: a lower count of connected gateways means a silo left.</summary>
    public void OnGatewayCountChanged(object? sender, GatewayCountChangedEventArgs change)
    {
        if (change.NumberOfConnectedGateways >= change.PreviousNumberOfConnectedGateways)
        {
            return;
        }

        var ended = Interlocked.Exchange(ref current, new Era(time));
        ended.EndAfter(grace);
        LogGatewayLost(logger, change.PreviousNumberOfConnectedGateways, change.NumberOfConnectedGateways, ended.Pending, grace);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connected silo gateways went from {Before} to {After}; {Pending} grain calls begun before get {Grace} more to answer, then fail with 503")]
    private static partial void LogGatewayLost(ILogger logger, int before, int after, int pending, TimeSpan grace);

    /// <summary>The calls begun between two gateway losses.</summary>
    private sealed class Era(TimeProvider time)
    {
        private readonly CancellationTokenSource end = new(Timeout.InfiniteTimeSpan, time);
        private int pending;

        public CancellationToken Ended => end.Token;

        public int Pending => Volatile.Read(ref pending);

        public void Enter() => Interlocked.Increment(ref pending);

        public void Leave() => Interlocked.Decrement(ref pending);

        public void EndAfter(TimeSpan after) => end.CancelAfter(after);
    }
}

/// <summary>A grain call given up on because a silo left while it was pending (see <see cref="DepartedSiloCalls"/>).</summary>
public sealed class CallLostWithSiloException(string interfaceName, string methodName, TimeSpan grace)
    : TimeoutException($"{interfaceName}.{methodName} had no answer {grace} after a silo gateway was lost; it may or may not have run.");

public static class DepartedSiloCallsHosting
{
    /// <summary>Fails a pure client's calls lost with a departed silo after <paramref name="grace"/>; zero leaves Orleans' timeout alone.</summary>
    public static IClientBuilder AddDepartedSiloCalls(this IClientBuilder client, TimeSpan grace)
    {
        if (grace <= TimeSpan.Zero)
        {
            return client;
        }

        client.Services.AddSingleton(sp => new DepartedSiloCalls(
            grace, sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<DepartedSiloCalls>>()));
        client.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<DepartedSiloCalls>());
        return client.AddGatewayCountChangedHandler(sp => sp.GetRequiredService<DepartedSiloCalls>().OnGatewayCountChanged);
    }
}
