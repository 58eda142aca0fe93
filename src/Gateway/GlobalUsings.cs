global using Microsoft.AspNetCore.Http.HttpResults;
global using QrMahalla.Gateway.Http;
global using QrMahalla.Grains;
