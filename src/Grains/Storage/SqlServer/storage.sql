-- QrMahalla grain storage for SQL Server, written to the Orleans ADO.NET storage contract (see the PostgreSQL
-- script for the parameters). One batch, idempotent: applied at every start under sp_getapplock.
-- Not yet run against a SQL Server: this machine has none; the tests parse it with the T-SQL parser.

IF OBJECT_ID(N'dbo.OrleansQuery', N'U') IS NULL
    CREATE TABLE dbo.OrleansQuery
    (
        QueryKey  varchar(64)    NOT NULL CONSTRAINT PK_OrleansQuery PRIMARY KEY,
        QueryText nvarchar(max)  NOT NULL
    );

IF OBJECT_ID(N'dbo.QrmGrainState', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.QrmGrainState
    (
        ServiceId  nvarchar(150)  NOT NULL,
        StateName  nvarchar(150)  NOT NULL,
        KeyN0      bigint         NOT NULL,
        KeyN1      bigint         NOT NULL,
        KeyString  nvarchar(450)  NOT NULL,
        Payload    varbinary(max) NULL,
        Version    int            NOT NULL,
        ModifiedAt datetime2(3)   NOT NULL CONSTRAINT DF_QrmGrainState_ModifiedAt DEFAULT SYSUTCDATETIME(),
        CONSTRAINT PK_QrmGrainState PRIMARY KEY (ServiceId, StateName, KeyN0, KeyN1, KeyString)
    );
    CREATE INDEX IX_QrmGrainState_Age ON dbo.QrmGrainState (StateName, ModifiedAt);
END;

DELETE FROM dbo.OrleansQuery
WHERE QueryKey IN (N'ReadFromStorageKey', N'WriteToStorageKey', N'ClearStorageKey', N'DeleteStorageKey', N'QrmSweepStateKey');

INSERT INTO dbo.OrleansQuery (QueryKey, QueryText) VALUES
(N'ReadFromStorageKey', N'
SELECT Payload AS PayloadBinary, Version
FROM dbo.QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N'''');
'),
-- Insert when the caller holds no version (UPDLOCK and HOLDLOCK keep a racing insert out), else update only the
-- version it read. A conflict returns no row, which the provider reports as an inconsistent state.
(N'WriteToStorageKey', N'
SET NOCOUNT ON;
IF @GrainStateVersion IS NULL
    INSERT INTO dbo.QrmGrainState (ServiceId, StateName, KeyN0, KeyN1, KeyString, Payload, Version, ModifiedAt)
    OUTPUT inserted.Version AS NewGrainStateVersion
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, ISNULL(@GrainIdExtensionString, N''''), @PayloadBinary, 1, SYSUTCDATETIME()
    WHERE NOT EXISTS (SELECT 1 FROM dbo.QrmGrainState WITH (UPDLOCK, HOLDLOCK)
                      WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString AND KeyN0 = @GrainIdN0
                        AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N''''));
ELSE
    UPDATE dbo.QrmGrainState
    SET Payload = @PayloadBinary, Version = Version + 1, ModifiedAt = SYSUTCDATETIME()
    OUTPUT inserted.Version AS NewGrainStateVersion
    WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString AND KeyN0 = @GrainIdN0
      AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N'''') AND Version = @GrainStateVersion;
'),
(N'ClearStorageKey', N'
SET NOCOUNT ON;
UPDATE dbo.QrmGrainState
SET Payload = NULL, Version = Version + 1, ModifiedAt = SYSUTCDATETIME()
OUTPUT inserted.Version AS Version
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString AND KeyN0 = @GrainIdN0
  AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N'''') AND Version = @GrainStateVersion;
'),
-- Delete at the caller's version and answer version + 1; a state never written (no version, no row) answers 0.
(N'DeleteStorageKey', N'
SET NOCOUNT ON;
DELETE FROM dbo.QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString AND KeyN0 = @GrainIdN0
  AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N'''') AND Version = @GrainStateVersion;
SELECT CASE
    WHEN @@ROWCOUNT > 0 THEN @GrainStateVersion + 1
    WHEN @GrainStateVersion IS NULL AND NOT EXISTS (
        SELECT 1 FROM dbo.QrmGrainState
        WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString AND KeyN0 = @GrainIdN0
          AND KeyN1 = @GrainIdN1 AND KeyString = ISNULL(@GrainIdExtensionString, N'''')) THEN 0
END AS Version;
'),
(N'QrmSweepStateKey', N'
DELETE FROM dbo.QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @StateName AND ModifiedAt < @Cutoff;
');
