using System.Text.Json;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Writes audit rows before the change they describe: a change whose row cannot be written does not happen (the
/// caller gets a fault, so a 503). A row can therefore name a change that then failed; never the reverse.
/// </summary>
public sealed class AuditLog(IAdminStore store, RuleClock clock, AuditPseudonym pseudonym)
{
    /// <summary>The width of the actor and target columns.</summary>
    public const int ColumnWidth = 64;

    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250)];

    public Task RecordAsync(Guid? actorId, string actor, string action, string target, object? detail, string? ip) =>
        RetryAsync(() => store.AppendAuditAsync(new AuditRecord(
            clock.UtcNow, actorId, Clamp(actor), action, Clamp(target),
            detail is null ? null : JsonSerializer.Serialize(detail, Storage.JsonGrainStateSerializer.Options), ip)));

    /// <summary>A deleted account's number leaves the log: every row that named it names its keyed hash instead.</summary>
    public Task ForgetPhoneAsync(string phone) => RetryAsync(() => store.ForgetPhoneAsync(phone, pseudonym.Of(phone)));

    private static string Clamp(string text) => text.Length <= ColumnWidth ? text : text[..ColumnWidth];

    private static async Task RetryAsync(Func<Task> write)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception) when (attempt < Backoff.Length)
            {
                await Task.Delay(Backoff[attempt]);
            }
        }
    }
}
