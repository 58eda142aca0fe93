using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Phones;

namespace QrMahalla.Tests;

/// <summary>
/// What the group-commit writer promises on top of Orleans' storage contract, against a real database: concurrent
/// operations share batches, a row's conflict or error fails only its own caller, and two activations writing one row
/// at once have exactly one winner. Each engine's test class runs these on its own cluster.
/// </summary>
public abstract class GroupCommitContract(ClusterFixture fixture)
{
    protected ClusterFixture Fixture => fixture;

    /// <summary>The batched storage of one silo; each silo has its own queue and its own connection.</summary>
    protected IGrainStorage Batched(int silo = 0) =>
        fixture.Cluster.Silos[silo].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterFixture.WriterStorage(StorageWriter.Batched));

    /// <summary>Makes the database refuse (with an error of its own) every insert of a row whose string key starts with "poison".</summary>
    protected abstract Task PoisonInsertsAsync();

    protected static GrainId NewId(string prefix = "row") => GrainId.Create("qrm-test-phone", $"{prefix}-{Guid.NewGuid():N}");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Two_activations_writing_one_row_at_once_have_exactly_one_winner(bool onTwoSilos)
    {
        for (var round = 0; round < 20; round++)
        {
            var id = NewId();
            var first = new GrainState<PhoneBindingState>(new PhoneBindingState());
            await Batched().WriteStateAsync("binding", id, first);
            var one = new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() }) { ETag = first.ETag };
            var two = new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() }) { ETag = first.ETag };

            var writes = new[]
            {
                Batched(0).WriteStateAsync("binding", id, one),
                Batched(onTwoSilos ? 1 : 0).WriteStateAsync("binding", id, two),
            };
            await Task.WhenAll(writes).ContinueWith(_ => { }, TaskScheduler.Default);

            Assert.Equal(1, writes.Count(w => w.IsCompletedSuccessfully));
            Assert.IsType<InconsistentStateException>(writes.Single(w => w.IsFaulted).Exception!.InnerException);
            var winner = writes[0].IsCompletedSuccessfully ? one : two;
            var stored = new GrainState<PhoneBindingState>();
            await Batched(1).ReadStateAsync("binding", id, stored);
            Assert.Equal(winner.State!.UserId, stored.State!.UserId);
            Assert.Equal("2", stored.ETag);
        }
    }

    [Fact]
    public async Task Concurrent_operations_of_many_grains_share_batches()
    {
        var sizes = new List<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "qrm.storage.batch.size")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, size, _, _) => { lock (sizes) { sizes.Add(size); } });
        listener.Start();

        var ids = Enumerable.Range(0, 300).Select(_ => NewId()).ToList();
        var states = ids.Select(_ => new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() })).ToList();
        await Task.WhenAll(ids.Select((id, i) => Batched().WriteStateAsync("binding", id, states[i])));
        await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var read = new GrainState<PhoneBindingState>();
            await Batched().ReadStateAsync("binding", id, read);
            Assert.Equal(states[i].State!.UserId, read.State!.UserId);
            Assert.Equal("1", read.ETag);
        }));

        listener.Dispose();
        int[] recorded;
        lock (sizes)
        {
            recorded = [.. sizes];
        }

        Assert.True(recorded.Max() > 1, "no two operations ever shared a batch");
        Assert.True(recorded.Length < 600, $"{recorded.Length} batches for 600 operations");
    }

    [Fact]
    public async Task A_stale_write_in_a_busy_batch_fails_only_its_own_caller()
    {
        var staleIds = Enumerable.Range(0, 5).Select(_ => NewId("stale")).ToList();
        var stale = new List<GrainState<PhoneBindingState>>();
        foreach (var id in staleIds)
        {
            var state = new GrainState<PhoneBindingState>(new PhoneBindingState());
            await Batched().WriteStateAsync("binding", id, state);
            stale.Add(new GrainState<PhoneBindingState>(new PhoneBindingState()) { ETag = state.ETag });
            await Batched().WriteStateAsync("binding", id, state);
        }

        var fresh = Enumerable.Range(0, 200).Select(_ => (Id: NewId(), State: new GrainState<PhoneBindingState>(new PhoneBindingState()))).ToList();
        var good = fresh.Select(f => Batched().WriteStateAsync("binding", f.Id, f.State)).ToList();
        var bad = staleIds.Select((id, i) => Batched().WriteStateAsync("binding", id, stale[i])).ToList();
        await Task.WhenAll(good.Concat(bad)).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.All(good, w => Assert.True(w.IsCompletedSuccessfully));
        Assert.All(fresh, f => Assert.Equal("1", f.State.ETag));
        Assert.All(bad, w => Assert.IsType<InconsistentStateException>(w.Exception!.InnerException));
    }

    [Fact]
    public async Task A_row_the_database_refuses_fails_only_its_own_caller()
    {
        await PoisonInsertsAsync();
        var fresh = Enumerable.Range(0, 100).Select(_ => (Id: NewId(), State: new GrainState<PhoneBindingState>(new PhoneBindingState()))).ToList();
        var poisoned = new GrainState<PhoneBindingState>(new PhoneBindingState());

        var good = fresh.Select(f => Batched().WriteStateAsync("binding", f.Id, f.State)).ToList();
        var bad = Batched().WriteStateAsync("binding", NewId("poison"), poisoned);
        await Task.WhenAll(good.Append(bad)).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.All(good, w => Assert.True(w.IsCompletedSuccessfully));
        Assert.True(bad.IsFaulted);
        Assert.IsNotType<InconsistentStateException>(bad.Exception!.InnerException);
        Assert.Null(poisoned.ETag);
        foreach (var (id, state) in fresh)
        {
            var read = new GrainState<PhoneBindingState>();
            await Batched(1).ReadStateAsync("binding", id, read);
            Assert.True(read.RecordExists);
            Assert.Equal(state.ETag, read.ETag);
        }
    }

    [Fact]
    public async Task Either_writer_continues_the_rows_and_versions_of_the_other()
    {
        var adoNet = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(ClusterFixture.WriterStorage(StorageWriter.AdoNet));
        var id = NewId();
        var state = new GrainState<PhoneBindingState>(new PhoneBindingState { UserId = Guid.NewGuid() });

        await adoNet.WriteStateAsync("binding", id, state);
        await Batched().WriteStateAsync("binding", id, state);
        await adoNet.WriteStateAsync("binding", id, state);
        var read = new GrainState<PhoneBindingState>();
        await Batched().ReadStateAsync("binding", id, read);

        Assert.Equal("3", read.ETag);
        Assert.Equal(state.State!.UserId, read.State!.UserId);
        await Assert.ThrowsAsync<InconsistentStateException>(() => adoNet.WriteStateAsync("binding", id, new GrainState<PhoneBindingState>(new())));
        await Batched().ClearStateAsync("binding", id, read);
        var gone = new GrainState<PhoneBindingState>();
        await adoNet.ReadStateAsync("binding", id, gone);
        Assert.False(gone.RecordExists);
    }
}
