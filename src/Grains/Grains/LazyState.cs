using Orleans.Storage;

namespace QrMahalla.Grains.Grains;

/// <summary>
/// A persistent state read on first use instead of at activation. A phone's first send in a window needs only its
/// code state, so its binding is not read then: one storage read fewer per new phone (bench/RESULTS.md).
/// </summary>
public sealed class LazyState<T>(IGrainStorage storage, string name, GrainId grainId) where T : new()
{
    private readonly GrainState<T> state = new(new T());
    private bool loaded;

    public bool Loaded => loaded;

    /// <summary>The state; only meaningful once <see cref="LoadAsync"/> has run.</summary>
    public T State => state.State!;

    public async ValueTask<T> LoadAsync()
    {
        if (!loaded)
        {
            await storage.ReadStateAsync(name, grainId, state);
            state.State ??= new T();
            loaded = true;
        }

        return state.State!;
    }

    public async Task WriteAsync()
    {
        await LoadAsync();
        await storage.WriteStateAsync(name, grainId, state);
    }

    public async Task ClearAsync()
    {
        await LoadAsync();
        await storage.ClearStateAsync(name, grainId, state);
        state.State = new T();
    }
}
