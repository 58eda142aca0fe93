-- QrMahalla cluster membership for SQL Server, written to the Orleans ADO.NET clustering contract (see the
-- PostgreSQL script). Each write runs in its own transaction with XACT_ABORT: the version row moves only together
-- with the silo row it guards, and the batch answers one integer, 1 for done and 0 for a conflict.
-- Not yet run against a SQL Server: this machine has none; the tests parse it with the T-SQL parser.

IF OBJECT_ID(N'dbo.QrmMembershipVersion', N'U') IS NULL
    CREATE TABLE dbo.QrmMembershipVersion
    (
        DeploymentId nvarchar(150) NOT NULL CONSTRAINT PK_QrmMembershipVersion PRIMARY KEY,
        Version      int           NOT NULL CONSTRAINT DF_QrmMembershipVersion_Version DEFAULT 0,
        ChangedAt    datetime2(3)  NOT NULL CONSTRAINT DF_QrmMembershipVersion_ChangedAt DEFAULT SYSUTCDATETIME()
    );

IF OBJECT_ID(N'dbo.QrmMembership', N'U') IS NULL
    CREATE TABLE dbo.QrmMembership
    (
        DeploymentId nvarchar(150) NOT NULL CONSTRAINT FK_QrmMembership_Version REFERENCES dbo.QrmMembershipVersion (DeploymentId),
        Address      varchar(45)   NOT NULL,
        Port         int           NOT NULL,
        Generation   int           NOT NULL,
        SiloName     nvarchar(150) NOT NULL,
        HostName     nvarchar(150) NOT NULL,
        Status       int           NOT NULL,
        ProxyPort    int           NOT NULL,
        SuspectTimes varchar(8000) NULL,
        StartTime    datetime2(3)  NOT NULL,
        IAmAliveTime datetime2(3)  NOT NULL,
        CONSTRAINT PK_QrmMembership PRIMARY KEY (DeploymentId, Address, Port, Generation)
    );

DELETE FROM dbo.OrleansQuery
WHERE QueryKey IN (N'InsertMembershipVersionKey', N'InsertMembershipKey', N'UpdateMembershipKey', N'UpdateIAmAlivetimeKey',
                   N'MembershipReadRowKey', N'MembershipReadAllKey', N'DeleteMembershipTableEntriesKey',
                   N'GatewaysQueryKey', N'CleanupDefunctSiloEntriesKey');

INSERT INTO dbo.OrleansQuery (QueryKey, QueryText) VALUES
(N'InsertMembershipVersionKey', N'
SET NOCOUNT ON;
INSERT INTO dbo.QrmMembershipVersion (DeploymentId)
SELECT @DeploymentId
WHERE NOT EXISTS (SELECT 1 FROM dbo.QrmMembershipVersion WITH (UPDLOCK, HOLDLOCK) WHERE DeploymentId = @DeploymentId);
SELECT @@ROWCOUNT;
'),
(N'InsertMembershipKey', N'
SET XACT_ABORT, NOCOUNT ON;
DECLARE @done int = 0;
BEGIN TRANSACTION;
UPDATE dbo.QrmMembershipVersion
SET Version = Version + 1, ChangedAt = SYSUTCDATETIME()
WHERE DeploymentId = @DeploymentId AND Version = @Version
  AND NOT EXISTS (SELECT 1 FROM dbo.QrmMembership WITH (UPDLOCK, HOLDLOCK)
                  WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation);
IF @@ROWCOUNT > 0
BEGIN
    INSERT INTO dbo.QrmMembership (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort,
                                   SuspectTimes, StartTime, IAmAliveTime)
    VALUES (@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
            NULL, @StartTime, @IAmAliveTime);
    SET @done = 1;
END;
IF @done = 1 COMMIT TRANSACTION; ELSE ROLLBACK TRANSACTION;
SELECT @done;
'),
(N'UpdateMembershipKey', N'
SET XACT_ABORT, NOCOUNT ON;
DECLARE @done int = 0;
BEGIN TRANSACTION;
UPDATE dbo.QrmMembershipVersion
SET Version = Version + 1, ChangedAt = SYSUTCDATETIME()
WHERE DeploymentId = @DeploymentId AND Version = @Version;
IF @@ROWCOUNT > 0
BEGIN
    UPDATE dbo.QrmMembership
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
    IF @@ROWCOUNT > 0 SET @done = 1;
END;
IF @done = 1 COMMIT TRANSACTION; ELSE ROLLBACK TRANSACTION;
SELECT @done;
'),
(N'UpdateIAmAlivetimeKey', N'
SET NOCOUNT ON;
UPDATE dbo.QrmMembership
SET IAmAliveTime = CASE WHEN IAmAliveTime > @IAmAliveTime THEN IAmAliveTime ELSE @IAmAliveTime END
WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
'),
(N'MembershipReadRowKey', N'
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM dbo.QrmMembershipVersion v
LEFT JOIN dbo.QrmMembership m
       ON m.DeploymentId = v.DeploymentId AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
'),
(N'MembershipReadAllKey', N'
SELECT v.Version, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
       m.SuspectTimes, m.StartTime, m.IAmAliveTime
FROM dbo.QrmMembershipVersion v
LEFT JOIN dbo.QrmMembership m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
'),
(N'DeleteMembershipTableEntriesKey', N'
SET NOCOUNT ON;
DELETE FROM dbo.QrmMembership WHERE DeploymentId = @DeploymentId;
DELETE FROM dbo.QrmMembershipVersion WHERE DeploymentId = @DeploymentId;
'),
(N'GatewaysQueryKey', N'
SELECT Address, ProxyPort, Generation
FROM dbo.QrmMembership
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
'),
(N'CleanupDefunctSiloEntriesKey', N'
SET NOCOUNT ON;
DELETE FROM dbo.QrmMembership
WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status = 6;
');
