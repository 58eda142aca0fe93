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
        /// <summary>Scopes reach every provider that includes them (ASP.NET's carries the request path, which may hold a number).</summary>
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            MaskedScope.Of(state) is { } masked ? inner.BeginScope(masked) : inner.BeginScope(state);

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

/// <summary>A log scope whose values or text carried a phone number, with each masked; null when nothing needed it.</summary>
internal sealed class MaskedScope(IReadOnlyList<KeyValuePair<string, object?>> values, string text) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public static object? Of(object state)
    {
        if (state is string plain)
        {
            var maskedText = PhoneMask.MaskAll(plain);
            return ReferenceEquals(maskedText, plain) ? null : maskedText;
        }

        if (state is not IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            return Text(state) is { } text && PhoneMask.MaskAll(text) is var masked && !ReferenceEquals(masked, text) ? masked : null;
        }

        // Every request begins a scope: read it in place, and copy it only when a value holds a number.
        var scope = pairs as IReadOnlyList<KeyValuePair<string, object?>> ?? pairs.ToList();
        List<KeyValuePair<string, object?>>? values = null;
        for (var i = 0; i < scope.Count; i++)
        {
            if (Text(scope[i].Value) is { } text && PhoneMask.MaskAll(text) is var masked && !ReferenceEquals(masked, text))
            {
                values ??= [.. scope];
                values[i] = new(scope[i].Key, masked);
            }
        }

        return values is null ? null : new MaskedScope(values, PhoneMask.MaskAll(state.ToString() ?? ""));
    }

    public KeyValuePair<string, object?> this[int index] => values[index];

    public int Count => values.Count;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => text;

    /// <summary>The text a formatter would write for a value; numbers, dates and ids cannot hold a phone number.</summary>
    private static string? Text(object? value) => value switch
    {
        null or IFormattable => null,
        string text => text,
        _ => value.ToString(),
    };
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
