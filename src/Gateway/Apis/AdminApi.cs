using System.Buffers.Text;
using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using QrMahalla.Grains.Phones;
using QrMahalla.Grains.Rules;

namespace QrMahalla.Gateway.Apis;

/// <summary>
/// Staff endpoints. A missing or invalid token gets 401; a valid one whose session is not live or whose user does
/// not hold the admin role now gets 403 (the silo checks, on every call). Changes are audited there too.
/// </summary>
public static class AdminApi
{
    private static readonly HashSet<string> UpdatableFields = ["is_active", "role", "first_name", "last_name"];

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization();

        api.MapGet("/users", SearchUsersAsync).WithName("AdminSearchUsers")
            .WithSummary("Users, newest first; filter by phone prefix (E.164 digits) and/or part of the name; page with next_cursor.")
            .Produces<UserPageResponse>().Produces<ApiError>(400);
        api.MapGet("/users/{id}", GetUserAsync).WithName("AdminGetUser")
            .WithSummary("One user with its device sessions.").Produces<AdminUserResponse>().Produces<ApiError>(404);
        api.MapPatch("/users/{id}", UpdateUserAsync).WithName("AdminUpdateUser")
            .WithSummary("Change is_active (false revokes every session at once), role, first_name or last_name.")
            .Accepts<AdminUserPatch>("application/json").Produces<AdminUserResponse>().Produces<ApiError>(400).Produces<ApiError>(404);
        api.MapDelete("/users/{id}/sessions", RevokeSessionsAsync).WithName("AdminRevokeSessions")
            .WithSummary("Revoke every session of the user.").Produces(204).Produces<ApiError>(404);
        api.MapDelete("/users/{id}", DeleteUserAsync).WithName("AdminDeleteUser")
            .WithSummary("Delete the user: profile, sessions and phone binding.").Produces(204).Produces<ApiError>(404);
        api.MapGet("/phones/{phone}", GetPhoneAsync).WithName("AdminGetPhone")
            .WithSummary("A phone's state: bound user, outstanding code (never the code), attempts, sends, lockout.")
            .Produces<PhoneStatusResponse>().Produces<ApiError>(400);
        api.MapPost("/phones/{phone}/unlock", UnlockPhoneAsync).WithName("AdminUnlockPhone")
            .WithSummary("Lift a phone's lockout.").Produces<PhoneStatusResponse>().Produces<ApiError>(400);
        api.MapGet("/audit", ListAuditAsync).WithName("AdminAudit")
            .WithSummary("Audited actions, newest first; page with next_cursor.").Produces<AuditPageResponse>().Produces<ApiError>(400);
        return routes;
    }

    private static async Task<IResult> SearchUsersAsync(
        HttpContext context, IGrainFactory grains, string? phone, string? name, string? limit, string? cursor)
    {
        if (!TryLimit(limit, out var size) || !TryCursor(cursor, out var after))
        {
            return Errors.InvalidRequest($"limit must be 1 to {AdminPaging.MaxPageSize} and cursor a next_cursor value from a previous page.");
        }

        if (name?.Length > 100 || phone?.Length > 32)
        {
            return Errors.InvalidRequest("name must be at most 100 and phone at most 32 characters.");
        }

        var prefix = PhonePrefix(phone);
        if (phone is { Length: > 0 } && prefix is null)
        {
            return Errors.InvalidRequest("phone must be the start of an international number, such as +99890.");
        }

        var query = new UserQuery(prefix, string.IsNullOrWhiteSpace(name) ? null : name.Trim(), size, after);
        var result = await Admin(grains).SearchUsersAsync(Actor(context), query);
        return Outcomes.ToHttp(result, page => TypedResults.Ok(new UserPageResponse(
            page.Items.Select(UserItemResponse.From).ToList(), page.Next is { } next ? EncodeCursor(next) : null)));
    }

    private static async Task<IResult> GetUserAsync(HttpContext context, IGrainFactory grains, string id)
    {
        if (!Guid.TryParse(id, out var userId))
        {
            return NoSuchUser();
        }

        var result = await Admin(grains).GetUserAsync(Actor(context), userId);
        return Outcomes.ToHttp(result, user => TypedResults.Ok(new AdminUserResponse(user)));
    }

    private static async Task<IResult> UpdateUserAsync(HttpContext context, IGrainFactory grains, string id)
    {
        var (body, error) = await RequestBody.ReadAsync(context.Request, allowBooleans: true);
        if (body is null)
        {
            return error!;
        }

        if (body.Names.FirstOrDefault(n => !UpdatableFields.Contains(n)) is { } unknown)
        {
            return Errors.InvalidRequest($"Field '{(unknown.Length <= 40 ? unknown : unknown[..40])}' cannot be changed here; use is_active, role, first_name or last_name.");
        }

        bool? active = null;
        if (body["is_active"] is { } flag)
        {
            if (!bool.TryParse(flag, out var parsed))
            {
                return Errors.InvalidRequest("is_active must be true or false.");
            }

            active = parsed;
        }

        var update = new AdminUserUpdate(active, body["role"]?.Trim(), body["first_name"], body["last_name"]);
        if (update == new AdminUserUpdate())
        {
            return Errors.InvalidRequest("Nothing to change: send is_active, role, first_name or last_name.");
        }

        if (!Guid.TryParse(id, out var userId))
        {
            return NoSuchUser();
        }

        var result = await Admin(grains).UpdateUserAsync(Actor(context), userId, update);
        return Outcomes.ToHttp(result, user => TypedResults.Ok(new AdminUserResponse(user)));
    }

    private static async Task<IResult> RevokeSessionsAsync(HttpContext context, IGrainFactory grains, string id)
    {
        if (!Guid.TryParse(id, out var userId))
        {
            return NoSuchUser();
        }

        var result = await Admin(grains).RevokeSessionsAsync(Actor(context), userId);
        return Outcomes.ToHttp(result, _ => TypedResults.NoContent());
    }

    private static async Task<IResult> DeleteUserAsync(HttpContext context, IGrainFactory grains, string id)
    {
        if (!Guid.TryParse(id, out var userId))
        {
            return NoSuchUser();
        }

        var result = await Admin(grains).DeleteUserAsync(Actor(context), userId);
        return Outcomes.ToHttp(result, _ => TypedResults.NoContent());
    }

    private static async Task<IResult> GetPhoneAsync(HttpContext context, IGrainFactory grains, PhoneNumberParser phones, string phone)
    {
        if (phones.Parse(phone).E164 is not { } e164)
        {
            return Errors.InvalidPhone();
        }

        var result = await Admin(grains).GetPhoneAsync(Actor(context), e164);
        return Outcomes.ToHttp(result, status => TypedResults.Ok(PhoneStatusResponse.From(status)));
    }

    private static async Task<IResult> UnlockPhoneAsync(HttpContext context, IGrainFactory grains, PhoneNumberParser phones, string phone)
    {
        if (phones.Parse(phone).E164 is not { } e164)
        {
            return Errors.InvalidPhone();
        }

        var result = await Admin(grains).UnlockPhoneAsync(Actor(context), e164);
        return Outcomes.ToHttp(result, status => TypedResults.Ok(PhoneStatusResponse.From(status)));
    }

    private static async Task<IResult> ListAuditAsync(HttpContext context, IGrainFactory grains, string? limit, string? cursor)
    {
        long? before = null;
        if (!TryLimit(limit, out var size) || (cursor is { Length: > 0 } && !TryAuditCursor(cursor, out before)))
        {
            return Errors.InvalidRequest($"limit must be 1 to {AdminPaging.MaxPageSize} and cursor a next_cursor value from a previous page.");
        }

        var result = await Admin(grains).ListAuditAsync(Actor(context), size, before);
        return Outcomes.ToHttp(result, page => TypedResults.Ok(new AuditPageResponse(
            page.Items.Select(AuditEntryResponse.From).ToList(), page.Next?.ToString(CultureInfo.InvariantCulture))));
    }

    private static IAdminGrain Admin(IGrainFactory grains) => grains.GetGrain<IAdminGrain>(0);

    /// <summary>The caller named by a validated access token (sub is a Guid: the silo minted it), and its address.</summary>
    private static AdminActor Actor(HttpContext context) => new(
        Guid.Parse(context.User.FindFirstValue(JwtRegisteredClaimNames.Sub)!),
        context.User.FindFirstValue("sid") ?? "",
        context.ClientInfo().Ip);

    private static JsonHttpResult<ApiError> NoSuchUser() => Errors.Of(404, "No such user.", "not_found");

    /// <summary>"+998 90", "99890" and "+99890" all mean the E.164 prefix "+99890".</summary>
    internal static string? PhonePrefix(string? input)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }

        var kept = input.Trim();
        if (kept.Any(c => !char.IsAsciiDigit(c) && c is not (' ' or '-' or '(' or ')' or '+')) || kept.LastIndexOf('+') > 0)
        {
            return null;
        }

        var digits = new string(kept.Where(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? null : "+" + digits;
    }

    private static bool TryLimit(string? value, out int limit)
    {
        limit = AdminPaging.DefaultPageSize;
        return value is not { Length: > 0 }
            || (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= AdminPaging.MaxPageSize);
    }

    private static bool TryAuditCursor(string value, out long? before)
    {
        before = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : null;
        return before is not null;
    }

    private static string EncodeCursor(UserCursor cursor) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"{cursor.DateJoined.UtcTicks}.{cursor.Id:N}"));

    private static bool TryCursor(string? value, out UserCursor? cursor)
    {
        cursor = null;
        if (value is not { Length: > 0 })
        {
            return true;
        }

        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(value)).Split('.');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks && Guid.TryParseExact(parts[1], "N", out var id))
            {
                cursor = new UserCursor(new DateTimeOffset(ticks, TimeSpan.Zero), id);
                return true;
            }
        }
        catch (FormatException)
        {
        }

        return false;
    }
}
