using System.Text.Json;

namespace QrMahalla.Grains.Admin;

/// <summary>
/// Writes audit rows before the change they describe: a change whose row cannot be written does not happen (the
/// caller gets a fault, so a 503). A row can therefore name a change that then failed; never the reverse.
/// </summary>
public sealed class AuditLog(IAdminStore store, RuleClock clock)
{
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250)];

    public async Task RecordAsync(Guid? actorId, string actor, string action, string target, object? detail, string? ip)
    {
        var record = new AuditRecord(
            clock.UtcNow, actorId, actor, action, target,
            detail is null ? null : JsonSerializer.Serialize(detail, Storage.JsonGrainStateSerializer.Options), ip);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await store.AppendAuditAsync(record);
                return;
            }
            catch (Exception) when (attempt < Backoff.Length)
            {
                await Task.Delay(Backoff[attempt]);
            }
        }
    }
}
