using Microsoft.Extensions.Options;
using QrMahalla.Grains.Hosting;
using QrMahalla.Grains.Telemetry;
using QrMahalla.Silo;

var (command, commandArguments, configurationArguments) = Commands.Parse(args);

// appsettings.json is read from beside the executable, wherever the process is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
{
    Args = configurationArguments,
    ContentRootPath = AppContext.BaseDirectory,
});

try
{
    if (command is not null)
    {
        return await Commands.RunAsync(command, commandArguments, builder);
    }

    SiloHealthListener.AddTo(builder);
    builder.AddQrMahallaSilo();
    builder.AddQrMahallaTelemetry("qrmahalla-silo");
    using var host = builder.Build();
    await SiloStartupCheck.RunAsync(host.Services);
    await host.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException or AggregateException { InnerException: OptionsValidationException })
{
    Console.Error.WriteLine($"QrMahalla.Silo{(command is null ? "" : " " + command)} cannot {(command is null ? "start" : "finish")}: {(e is AggregateException a ? a.InnerException!.Message : e.Message)}");
    return 1;
}
