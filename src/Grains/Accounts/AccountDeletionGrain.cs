using Orleans.Concurrency;

namespace QrMahalla.Grains.Accounts;

/// <summary>
/// The account is wiped first (leaving a tombstone), then its phone is unbound. A crash between the two is healed by
/// the phone's next login, which finds the tombstone and binds a new account.
/// </summary>
[StatelessWorker]
public sealed class AccountDeletionGrain : Grain, IAccountDeletionGrain
{
    public async Task<DeleteAccountResult> DeleteOwnAsync(Guid userId, string sessionId, ClientInfo client) =>
        await UnbindAsync(userId, await GrainFactory.GetGrain<IUserGrain>(userId).DeleteAccountAsync(sessionId, client));

    public async Task<DeleteAccountResult> DeleteByStaffAsync(Guid userId) =>
        await UnbindAsync(userId, await GrainFactory.GetGrain<IUserGrain>(userId).WipeAsync());

    private async Task<DeleteAccountResult> UnbindAsync(Guid userId, DeleteAccountResult deleted)
    {
        if (deleted is { Status: AccountStatus.Ok, Phone: { Length: > 0 } phone })
        {
            await GrainFactory.GetGrain<IPhoneGrain>(phone).UnbindAsync(userId);
        }

        return deleted;
    }
}
