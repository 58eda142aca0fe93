using QrMahalla.Grains.Telemetry;

namespace QrMahalla.Gateway.Apis;

/// <summary>Each grain outcome type mapped to HTTP, and counted, in exactly one place.</summary>
public static class Outcomes
{
    public static IResult ToHttp(SendCodeResult result, string phone, HttpContext context, QrMahallaMetrics metrics)
    {
        metrics.CodeSent(result.Status switch
        {
            SendCodeStatus.Sent => "sent",
            SendCodeStatus.RateLimited => "rate_limited",
            _ => "sms_failed",
        });
        if (result.Status == SendCodeStatus.RateLimited)
        {
            metrics.RateLimited("phone", "send");
        }

        return ToHttp(result, phone, context);
    }

    public static IResult ToHttp(VerifyResult result, HttpContext context, QrMahallaMetrics metrics)
    {
        metrics.CodeVerified(result.Status switch
        {
            VerifyStatus.Success => "success",
            VerifyStatus.InvalidCode => "invalid_code",
            VerifyStatus.CodeExpired => "code_expired",
            VerifyStatus.TooManyAttempts => "too_many_attempts",
            VerifyStatus.RateLimited => "rate_limited",
            _ => "user_inactive",
        });
        if (result.Status == VerifyStatus.RateLimited)
        {
            metrics.RateLimited("phone", "verify");
        }

        if (result.NewUser)
        {
            metrics.UserCreated();
        }

        return ToHttp(result, context);
    }

    public static IResult ToHttp(RefreshResult result, QrMahallaMetrics metrics)
    {
        metrics.Refreshed(result.Status switch
        {
            RefreshStatus.Success => "success",
            RefreshStatus.UserInactive => "user_inactive",
            _ => "invalid_token",
        });
        return ToHttp(result);
    }

    private static IResult ToHttp(SendCodeResult result, string phone, HttpContext context) => result.Status switch
    {
        SendCodeStatus.Sent => TypedResults.Ok(new CodeSentResponse(
            "SMS code sent", phone, "Please verify your phone number with the code sent via SMS",
            result.ExpiresInSeconds, result.ResendAfterSeconds)),
        SendCodeStatus.RateLimited => Errors.RateLimited(context, "Too many code requests; wait before asking again.", "rate_limited", result.RetryAfterSeconds),
        _ => Errors.Of(502, "Error sending SMS", "sms_failed"),
    };

    private static IResult ToHttp(VerifyResult result, HttpContext context) => result.Status switch
    {
        VerifyStatus.Success => TypedResults.Ok(new LoginResponse(
            result.Tokens!.Access, result.Tokens.Refresh,
            new LoginUser(result.User!.Id, result.User.Phone, result.User.Role, result.User.FirstName, result.User.LastName))),
        VerifyStatus.InvalidCode => TypedResults.Json(
            new ApiError("The code is wrong or no longer valid.", "invalid_code") { AttemptsLeft = result.AttemptsLeft }, statusCode: 400),
        VerifyStatus.CodeExpired => Errors.Of(400, "The code has expired; ask for a new one.", "code_expired"),
        VerifyStatus.TooManyAttempts => Errors.RateLimited(context, "Too many wrong codes; ask for a new code.", "too_many_attempts", result.RetryAfterSeconds),
        VerifyStatus.RateLimited => Errors.RateLimited(context, "This phone is temporarily locked; try again later.", "rate_limited", result.RetryAfterSeconds),
        _ => UserInactive(),
    };

    private static IResult ToHttp(RefreshResult result) => result.Status switch
    {
        RefreshStatus.Success => TypedResults.Ok(new TokenResponse(result.Tokens!.Access, result.Tokens.Refresh)),
        RefreshStatus.UserInactive => UserInactive(),
        _ => Errors.InvalidToken(),
    };

    /// <summary>For calls made with an access token: a revoked session is an invalid token.</summary>
    public static IResult ToHttp(AccountStatus status, Func<IResult> ok) => status switch
    {
        AccountStatus.Ok => ok(),
        AccountStatus.NotFound => Errors.Of(404, "No such session.", "not_found"),
        _ => Errors.InvalidToken(),
    };

    /// <summary>Staff calls: only a live session holding the admin role gets past <see cref="AdminStatus.Forbidden"/>.</summary>
    public static IResult ToHttp<T>(AdminResult<T> result, Func<T, IResult> ok) => result.Status switch
    {
        AdminStatus.Ok => ok(result.Value!),
        AdminStatus.Forbidden => Errors.Of(403, "This needs the admin role in a live session.", "forbidden"),
        AdminStatus.NotFound => Errors.Of(404, result.Error ?? "Not found.", "not_found"),
        _ => Errors.InvalidRequest(result.Error ?? "The request is not valid."),
    };

    private static IResult UserInactive() => Errors.Of(403, "This account has been deactivated.", "user_inactive");
}
