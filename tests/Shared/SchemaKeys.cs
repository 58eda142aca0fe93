namespace QrMahalla.Tests;

/// <summary>Every query key the schema scripts store in OrleansQuery.</summary>
public static class SchemaKeys
{
    /// <summary>The keys Orleans' ADO.NET storage and clustering providers look up.</summary>
    public static readonly string[] Provider =
    [
        "ReadFromStorageKey", "WriteToStorageKey", "ClearStorageKey", "DeleteStorageKey",
        "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
        "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "CleanupDefunctSiloEntriesKey",
    ];

    /// <summary>The project's own queries: the code-state sweep, the users read model and the audit log.</summary>
    public static readonly string[] Project =
    [
        "QrmSweepStateKey", "QrmUpsertUserKey", "QrmDeleteUserKey", "QrmSearchUsersKey", "QrmUserStatesKey",
        "QrmAppendAuditKey", "QrmListAuditKey", "QrmForgetAuditPhoneKey",
    ];

    /// <summary>PostgreSQL's group-commit writer (<c>Storage:Writer=Batched</c>); SQLite's reuses the provider's queries.</summary>
    public static readonly string[] PostgresBatch = ["QrmBatchReadKey", "QrmBatchWriteKey", "QrmBatchDeleteKey"];

    /// <summary>Every key of the PostgreSQL scripts.</summary>
    public static int PostgresCount => Provider.Length + Project.Length + PostgresBatch.Length;
}
