using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace QrMahalla.Grains.Hosting;

/// <summary>
/// Options the Orleans wiring needs before the container exists (storage, clustering, the HTTP gateway, the
/// dashboard): bound from configuration once per service collection, and that same instance is what
/// <see cref="IOptions{TOptions}"/> serves, once the option's validators (data annotations and its own) have passed.
/// So the wiring and the services that read the options later can never see two different values.
/// </summary>
public static class EarlyOptions
{
    public static T Bind<T>(IServiceCollection services, IConfiguration configuration, string section) where T : class, new()
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(Bound<T>) && descriptor.ImplementationInstance is Bound<T> bound)
            {
                return bound.Value;
            }
        }

        var value = configuration.GetSection(section).Get<T>() ?? new T();
        services.AddSingleton(new Bound<T>(value));
        services.AddSingleton<IOptionsFactory<T>>(sp => new BoundFactory<T>(value, sp.GetServices<IValidateOptions<T>>()));
        return value;
    }

    private sealed record Bound<T>(T Value);

    private sealed class BoundFactory<T>(T value, IEnumerable<IValidateOptions<T>> validators) : IOptionsFactory<T> where T : class
    {
        public T Create(string name)
        {
            var failures = validators.Select(v => v.Validate(name, value)).Where(r => r.Failed).SelectMany(r => r.Failures ?? []).ToList();
            if (failures.Count > 0)
            {
                throw new OptionsValidationException(name, typeof(T), failures);
            }

            return value;
        }
    }
}
