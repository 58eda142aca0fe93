using Microsoft.Extensions.Options;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;
using QrMahalla.Grains.Telemetry;

// appsettings.json is read from beside the executable, wherever the process is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = args.Where(a => a != "migrate").ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});

try
{
    if (args.Contains("migrate"))
    {
        // Apply the storage schema and exit, for operators who run migrations as a separate step.
        var storage = builder.Configuration.GetSection(StorageOptions.Section).Get<StorageOptions>() ?? new();
        var cluster = builder.Configuration.GetSection(ClusteringOptions.Section).Get<ClusteringOptions>() ?? new();
        SchemaInstaller.Apply(storage, cluster);
        Console.WriteLine($"Schema applied: storage on {storage.Provider}, clustering on {cluster.Provider}.");
        return 0;
    }

    builder.AddQrMahallaSilo();
    builder.AddQrMahallaTelemetry("qrmahalla-silo");
    using var host = builder.Build();
    await SiloStartupCheck.RunAsync(host.Services);
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException or AggregateException { InnerException: OptionsValidationException })
{
    Console.Error.WriteLine($"QrMahalla.Silo cannot start: {(e is AggregateException a ? a.InnerException!.Message : e.Message)}");
    return 1;
}
