using System.Data;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using QrMahalla.Grains.Accounts;
using QrMahalla.Grains.Options;
using QrMahalla.Grains.Storage;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Rebuilds the users read model from grain storage (<c>QrMahalla.Silo reindex</c>): every stored user state is
/// upserted at its revision, every tombstone deleted. Safe while the cluster runs: a row never goes back a revision.
/// </summary>
public sealed class UserReindexer(IOptions<StorageOptions> storage, IOptions<ClusterOptions> cluster, IAdminStore store)
{
    public const string UserStateName = "user";

    public sealed record Result(int Upserted, int Deleted);

    public async Task<Result> RunAsync(IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var options = storage.Value;
        await using var connection = await StorageDatabase.OpenAsync(options, cancellationToken);
        await using var command = await StorageDatabase.StoredCommandAsync(connection, "QrmUserStatesKey", cluster.Value.ServiceId, cancellationToken);
        StorageDatabase.AddParameter(command, "StateName", UserStateName);

        var serializer = new JsonGrainStateSerializer();
        int upserted = 0, deleted = 0;
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = UserId(reader.GetInt64(0), reader.GetInt64(1));
            var state = serializer.Deserialize<UserState>(new BinaryData(reader.GetFieldValue<byte[]>(2)));
            if (state.Deleted)
            {
                await store.DeleteUserAsync(id, cancellationToken);
                deleted++;
            }
            else if (state.Registered)
            {
                await store.UpsertUserAsync(new UserRow(
                    id, state.Phone, state.FirstName, state.LastName, state.Role, state.IsActive, state.IsStaff,
                    state.DateJoined, state.LegacyId), state.Revision, cancellationToken);
                upserted++;
            }

            progress?.Report(upserted + deleted);
        }

        return new Result(upserted, deleted);
    }

    /// <summary>The Orleans ADO.NET provider stores a Guid key as the two little-endian halves of its byte form.</summary>
    public static Guid UserId(long n0, long n1)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, n0);
        BitConverter.TryWriteBytes(bytes[8..], n1);
        return new Guid(bytes);
    }
}
