using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace QrMahalla.Unit.Tests;

/// <summary>A host environment by name, for the validators that guard every environment but Development.</summary>
internal sealed class TestEnvironment(string name) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = name;
    public string ApplicationName { get; set; } = "tests";
    public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
