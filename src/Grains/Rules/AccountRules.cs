using QrMahalla.Grains.Admin;

namespace QrMahalla.Grains.Rules;

/// <summary>What an account's fields may hold, for the user's own edits and for staff edits alike.</summary>
public static class AccountRules
{
    public const int FirstNameMax = 100;
    public const int LastNameMax = 100;
    public const int PassportIdMax = 20;
    public const int AddressMax = 500;

    public const string RoleRule = "role must be 1 to 30 lowercase letters, digits, '_' or '-', starting with a letter.";

    /// <summary>The first broken rule of a profile edit, as a message for the client, or null when it is valid.</summary>
    public static string? Validate(ProfileUpdate update) =>
        update.FirstName?.Length > FirstNameMax ? $"first_name must be at most {FirstNameMax} characters."
        : update.LastName?.Length > LastNameMax ? $"last_name must be at most {LastNameMax} characters."
        : update.PassportId?.Length > PassportIdMax ? $"passport_id must be at most {PassportIdMax} characters."
        : update.Address?.Length > AddressMax ? $"address must be at most {AddressMax} characters."
        : null;

    /// <summary>The first broken rule of a staff edit (role and names), or null when it is valid.</summary>
    public static string? Validate(AdminUserUpdate update) =>
        update.Role is not null && !UserRoles.IsValid(update.Role) ? RoleRule
        : Validate(new ProfileUpdate(update.FirstName, update.LastName, null, null));
}

/// <summary>How many rows a staff page holds: the gateway checks the asked size, the admin grain clamps to it.</summary>
public static class AdminPaging
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 100;

    public static int Clamp(int limit) => Math.Clamp(limit, 1, MaxPageSize);
}
