using System.Text.Json;

namespace QrMahalla.Gateway.Http;

/// <summary>
/// Reads a small request body as flat string fields, from JSON or from a form, as the old Django endpoint
/// accepted both. A JSON number is read as its digits, so <c>{"phone": 998901234567}</c> works.
/// </summary>
public sealed class RequestBody
{
    public const int MaxBytes = 16 * 1024;

    private readonly Dictionary<string, string?> fields;

    private RequestBody(Dictionary<string, string?> fields) => this.fields = fields;

    public string? this[string name] => fields.GetValueOrDefault(name);

    public bool Has(string name) => fields.ContainsKey(name);

    public IEnumerable<string> Names => fields.Keys;

    /// <summary>The fields, or the error to answer with. JSON booleans are read as "true"/"false" only where allowed.</summary>
    public static async Task<(RequestBody? Body, JsonHttpResult<ApiError>? Error)> ReadAsync(HttpRequest request, bool allowBooleans = false)
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, Errors.TooLarge());
        }

        // JSON or a form, as the old endpoint's parsers took; text/plain is how another site's page posts without a
        // preflight. A body with no Content-Type at all is still read as JSON (old clients send it so).
        if (request.ContentType is { Length: > 0 } && !request.HasFormContentType && !request.HasJsonContentType())
        {
            return (null, Errors.Of(415, "Send JSON or a form.", "unsupported_media_type"));
        }

        // Every body is read into memory up to the limit first, whatever its type or framing (chunked bodies
        // announce no length), so nothing larger is ever buffered and every oversized body gets the same 413.
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBytes)
            {
                return (null, Errors.TooLarge());
            }
        }

        if (request.HasFormContentType)
        {
            buffer.Position = 0;
            request.Body = buffer;
            return await ReadFormAsync(request);
        }

        if (buffer.Length == 0)
        {
            return (null, Errors.InvalidRequest("The request body is empty; send a JSON object."));
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Errors.InvalidRequest("The request body must be a JSON object."));
            }

            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        fields[property.Name] = property.Value.GetString();
                        break;
                    case JsonValueKind.Number:
                        fields[property.Name] = property.Value.GetRawText();
                        break;
                    case JsonValueKind.Null:
                        fields[property.Name] = null;
                        break;
                    case JsonValueKind.True or JsonValueKind.False when allowBooleans:
                        fields[property.Name] = property.Value.ValueKind == JsonValueKind.True ? "true" : "false";
                        break;
                    default:
                        return (null, Errors.InvalidRequest($"Field '{Shorten(property.Name)}' must be a string."));
                }
            }

            return (new RequestBody(fields), null);
        }
        catch (JsonException)
        {
            return (null, Errors.InvalidRequest("The request body is not valid JSON."));
        }
    }

    private static async Task<(RequestBody?, JsonHttpResult<ApiError>?)> ReadFormAsync(HttpRequest request)
    {
        try
        {
            var form = await request.ReadFormAsync(
                new Microsoft.AspNetCore.Http.Features.FormOptions { BufferBodyLengthLimit = MaxBytes, MultipartBodyLengthLimit = MaxBytes, ValueCountLimit = 64 },
                request.HttpContext.RequestAborted);
            var fields = form.ToDictionary(f => f.Key, f => (string?)f.Value.ToString(), StringComparer.Ordinal);
            return (new RequestBody(fields), null);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return (null, Errors.InvalidRequest("The form body could not be read."));
        }
    }

    private static string Shorten(string name) => name.Length <= 40 ? name : name[..40];
}
