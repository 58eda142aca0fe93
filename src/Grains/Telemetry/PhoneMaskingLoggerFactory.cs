using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Grains.Telemetry;

/// <summary>
/// Wraps the logger factory so every log line, from every provider and every library (Orleans writes grain ids,
/// which hold phone numbers), shows phone numbers masked as <c>+99890*****67</c>. Lines without a number keep their
/// structured state untouched.
/// </summary>
public sealed class PhoneMaskingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new MaskingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    private sealed class MaskingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            var masked = PhoneMask.MaskAll(message);
            var exceptionText = exception?.ToString();
            var maskedException = exceptionText is null ? null : PhoneMask.MaskAll(exceptionText);
            if (ReferenceEquals(masked, message) && ReferenceEquals(maskedException, exceptionText))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            // The exception's text carried a number: it is logged masked, as text, instead of as the exception.
            var line = maskedException is null ? masked : $"{masked}{Environment.NewLine}{maskedException}";
            inner.Log(logLevel, eventId, line, null, static (text, _) => text);
        }
    }
}

public static class PhoneMaskingExtensions
{
    /// <summary>Masks phone numbers in all logging of this host, whatever providers are added later.</summary>
    public static IServiceCollection AddPhoneMaskedLogging(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new PhoneMaskingLoggerFactory(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        return services;
    }
}
