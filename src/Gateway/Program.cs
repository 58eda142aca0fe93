using Microsoft.Extensions.Options;
using QrMahalla.Gateway.Apis;
using QrMahalla.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddQrMahallaGateway();

try
{
    var app = builder.Build();
    app.UseQrMahallaGateway();
    app.MapAuthApi();
    app.MapMeApi();
    app.MapWellKnownApi();
    app.MapHealthEndpoints();
    app.MapApiReference();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException)
{
    Console.Error.WriteLine($"QrMahalla.Gateway cannot start: {e.Message}");
    return 1;
}

/// <summary>Visible to <c>WebApplicationFactory</c>.</summary>
public partial class Program;
