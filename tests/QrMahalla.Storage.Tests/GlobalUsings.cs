global using QrMahalla.Grains;
global using QrMahalla.Tests;
