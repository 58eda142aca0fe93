using Microsoft.Extensions.Options;
using QrMahalla.Gateway.Apis;
using QrMahalla.Gateway.Hosting;

// appsettings.json is read from beside the executable, wherever the process is started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
try
{
    builder.AddQrMahallaGateway();
    var app = builder.Build();
    await app.RunStartupChecksAsync();
    app.UseQrMahallaGateway();
    app.MapAuthApi();
    app.MapMeApi();
    app.MapAdminApi();
    app.MapAdminPage();
    app.MapWellKnownApi();
    app.MapHealthEndpoints();
    app.MapApiReference();
    app.MapManagementEndpoints();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException or AggregateException { InnerException: OptionsValidationException })
{
    Console.Error.WriteLine($"QrMahalla.Gateway cannot start: {(e is AggregateException a ? a.InnerException!.Message : e.Message)}");
    return 1;
}

/// <summary>Visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
