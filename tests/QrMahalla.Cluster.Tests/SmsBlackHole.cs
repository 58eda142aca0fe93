using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace QrMahalla.Cluster.Tests;

/// <summary>
/// An SMS provider's address that takes every connection and never answers, as a provider hanging mid-request does:
/// a send-code call waits on it inside its silo until <c>Sms:Timeout</c>.
/// </summary>
public sealed class SmsBlackHole : IDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentBag<Socket> held = [];
    private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SmsBlackHole()
    {
        listener.Start();
        _ = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/sms");

    /// <summary>Completes once a request has come in (and is being held).</summary>
    public Task Reached => reached.Task;

    /// <summary>Closes the address and drops every connection held: the requests waiting fail, and so do retries.</summary>
    public void Release()
    {
        listener.Stop();
        while (held.TryTake(out var socket))
        {
            socket.Dispose();
        }
    }

    public void Dispose() => Release();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                held.Add(await listener.AcceptSocketAsync());
                reached.TrySetResult();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
