using QrMahalla.Grains.Admin;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Grains.Accounts;

/// <summary>What staff and the operator commands do to an account: read it, change it, wipe it, import it.</summary>
public sealed partial class UserGrain
{
    public Task<string?> GetAdminPhoneAsync(string sessionId) =>
        Task.FromResult(IsLive(sessionId) && State.Role == UserRoles.Admin ? State.Phone : null);

    public Task<AdminUserView?> GetAccountAsync() => Task.FromResult(Exists ? Account() : null);

    public async Task<AdminResult<AdminUserView>> UpdateAccountAsync(AdminUserUpdate update)
    {
        if (!Exists)
        {
            return new AdminResult<AdminUserView>(AdminStatus.NotFound);
        }

        if (AccountRules.Validate(update) is { } error)
        {
            return new AdminResult<AdminUserView>(AdminStatus.Invalid, Error: error);
        }

        State.FirstName = update.FirstName?.Trim() ?? State.FirstName;
        State.LastName = update.LastName?.Trim() ?? State.LastName;
        State.Role = update.Role ?? State.Role;
        if (update.IsActive is { } active && active != State.IsActive)
        {
            State.IsActive = active;
            if (!active)
            {
                // A deactivated user's sessions die now, not when their tokens run out; reactivating revives none.
                State.Sessions.Clear();
            }
        }

        State.Revision++;
        await user.WriteStateAsync();
        await IndexNowAsync();
        return new AdminResult<AdminUserView>(AdminStatus.Ok, Account());
    }

    public async Task<int?> RevokeAllSessionsAsync()
    {
        if (!Exists)
        {
            return null;
        }

        var count = State.Sessions.Count;
        if (count > 0)
        {
            State.Sessions.Clear();
            await user.WriteStateAsync();
        }

        return count;
    }

    public Task<DeleteAccountResult> WipeAsync() =>
        Exists ? WipeCoreAsync() : Task.FromResult(new DeleteAccountResult(AccountStatus.NotFound));

    public async Task<ImportStatus> ImportAsync(string phone, LegacyUser legacy)
    {
        if (State.Deleted)
        {
            return ImportStatus.DeletedSinceImport;
        }

        if (State.Registered)
        {
            return State.LegacyId == legacy.LegacyId && State.Phone == phone ? ImportStatus.AlreadyImported : ImportStatus.PhoneTaken;
        }

        State.Registered = true;
        State.Phone = phone;
        State.FirstName = legacy.FirstName;
        State.LastName = legacy.LastName;
        State.PassportId = legacy.PassportId;
        State.Address = legacy.Address;
        State.Role = legacy.Role;
        State.IsActive = legacy.IsActive;
        State.IsVerified = legacy.IsVerified;
        State.IsStaff = legacy.IsStaff;
        State.DateJoined = legacy.DateJoined;
        State.LegacyId = legacy.LegacyId;
        State.Revision++;
        await user.WriteStateAsync();
        await IndexNowAsync();
        return ImportStatus.Imported;
    }

    private bool Exists => State is { Registered: true, Deleted: false };

    private async Task<DeleteAccountResult> WipeCoreAsync()
    {
        // Profile and sessions go now, leaving only a tombstone, so a login racing this deletion cannot bring the
        // account back. This grain never calls the phone grain (which may be calling it): AccountDeletionGrain
        // unbinds the phone next, and a crash before that is healed by the next login, which finds the tombstone and
        // binds anew.
        // The tombstone keeps the old id of an imported user, so a second import does not bring the account back.
        var phone = State.Phone;
        user.State = new UserState { Deleted = true, LegacyId = State.LegacyId, Revision = State.Revision + 1 };
        await user.WriteStateAsync();
        await IndexNowAsync();
        return new DeleteAccountResult(AccountStatus.Ok, phone);
    }

    private AdminUserView Account() => new(
        Profile(),
        State.LegacyId,
        sessions.Live(State, clock.UtcNow).OrderByDescending(s => s.LastSeenAt)
            .Select(s => new SessionView(s.DeviceId, s.DeviceName, s.Ip, s.UserAgent, s.CreatedAt, s.LastSeenAt, false))
            .ToList());
}
