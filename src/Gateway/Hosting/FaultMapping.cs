using Microsoft.AspNetCore.Diagnostics;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using QrMahalla.Gateway.Apis;

namespace QrMahalla.Gateway.Hosting;

/// <summary>How faults and bare status codes reach a client: always the API's JSON error body, never a stack trace.</summary>
public static partial class FaultMapping
{
    /// <summary>Orleans and storage faults become a clean 503; nothing else about the fault leaves the process.</summary>
    public static async Task HandleFaultAsync(HttpContext context)
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

    public static Task WriteStatusAsync(HttpContext context) => context.Response.StatusCode switch
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
