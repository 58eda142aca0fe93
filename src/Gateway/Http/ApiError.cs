using System.Text.Json.Serialization;

namespace QrMahalla.Gateway.Http;

/// <summary>The one error shape of the API: a sentence for people and a code for programs.</summary>
public sealed record ApiError(
    string Error,
    string Code)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? AttemptsLeft { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RetryAfter { get; init; }
}

/// <summary>Every error the API answers with, built in one place.</summary>
public static class Errors
{
    public static JsonHttpResult<ApiError> Of(int status, string error, string code) =>
        TypedResults.Json(new ApiError(error, code), statusCode: status);

    public static JsonHttpResult<ApiError> InvalidRequest(string error) => Of(400, error, "invalid_request");
    public static JsonHttpResult<ApiError> InvalidPhone() => Of(400, "Enter a valid mobile phone number.", "invalid_phone");
    public static JsonHttpResult<ApiError> RegionNotAllowed() => Of(400, "Phone numbers from this region are not served.", "region_not_allowed");
    public static JsonHttpResult<ApiError> InvalidToken() => Of(401, "The token is invalid, expired or revoked.", "invalid_token");
    public static JsonHttpResult<ApiError> Unavailable() => Of(503, "The service is temporarily unavailable; try again shortly.", "unavailable");
    public static JsonHttpResult<ApiError> TooLarge() => Of(413, "The request body is too large.", "payload_too_large");

    /// <summary>A 429 that also sets <c>Retry-After</c>, as clients and proxies expect.</summary>
    public static JsonHttpResult<ApiError> RateLimited(HttpContext context, string error, string code, int? retryAfter)
    {
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return TypedResults.Json(new ApiError(error, code) { RetryAfter = retryAfter }, statusCode: 429);
    }
}
