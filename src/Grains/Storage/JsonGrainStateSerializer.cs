using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Storage;

namespace QrMahalla.Grains.Storage;

/// <summary>
/// Grain state as plain System.Text.Json: version tolerant (unknown members are ignored, missing ones keep their
/// defaults) and free of CLR type names, unlike the provider's default Newtonsoft settings.
/// </summary>
public sealed class JsonGrainStateSerializer : IGrainStorageSerializer
{
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // State is read by operators and SQL, never by a browser: keep "+998..." readable instead of "\u002B998...".
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, Options));

    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>(Options)!;
}
