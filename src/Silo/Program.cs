using Microsoft.Extensions.Options;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

var builder = Host.CreateApplicationBuilder(args.Where(a => a != "migrate").ToArray());

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
    await builder.Build().RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException)
{
    Console.Error.WriteLine($"QrMahalla.Silo cannot start: {e.Message}");
    return 1;
}
