-- QrMahalla admin tables for SQL Server: the users read model (written by user grains, read by staff search only)
-- and the audit log. The statements the code runs are stored in OrleansQuery by key. One batch, idempotent.
-- Not yet run against a SQL Server: this machine has none; the tests parse it with the T-SQL parser.

IF OBJECT_ID(N'dbo.QrmUser', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.QrmUser
    (
        ServiceId  nvarchar(150)    NOT NULL,
        UserId     uniqueidentifier NOT NULL,
        Phone      nvarchar(32)     NOT NULL,
        FirstName  nvarchar(100)    NOT NULL,
        LastName   nvarchar(100)    NOT NULL,
        SearchName nvarchar(201)    NOT NULL,
        Role       nvarchar(30)     NOT NULL,
        IsActive   bit              NOT NULL,
        IsStaff    bit              NOT NULL,
        DateJoined datetimeoffset(7) NOT NULL,
        LegacyId   bigint           NULL,
        Revision   bigint           NOT NULL,
        CONSTRAINT PK_QrmUser PRIMARY KEY (ServiceId, UserId)
    );
    CREATE INDEX IX_QrmUser_Joined ON dbo.QrmUser (ServiceId, DateJoined DESC, UserId DESC);
    CREATE INDEX IX_QrmUser_Phone ON dbo.QrmUser (ServiceId, Phone);
END;

IF OBJECT_ID(N'dbo.QrmAudit', N'U') IS NULL
    CREATE TABLE dbo.QrmAudit
    (
        Id        bigint IDENTITY(1, 1) NOT NULL CONSTRAINT PK_QrmAudit PRIMARY KEY,
        ServiceId nvarchar(150)    NOT NULL,
        At        datetimeoffset(7) NOT NULL,
        ActorId   uniqueidentifier NULL,
        Actor     nvarchar(64)     NOT NULL,
        Action    nvarchar(64)     NOT NULL,
        Target    nvarchar(64)     NOT NULL,
        Detail    nvarchar(max)    NULL,
        Ip        nvarchar(64)     NULL
    );

DELETE FROM dbo.OrleansQuery
WHERE QueryKey IN (N'QrmUpsertUserKey', N'QrmDeleteUserKey', N'QrmSearchUsersKey', N'QrmUserStatesKey',
                   N'QrmAppendAuditKey', N'QrmListAuditKey', N'QrmForgetAuditPhoneKey');

INSERT INTO dbo.OrleansQuery (QueryKey, QueryText) VALUES
-- A row only moves forward: an older revision arriving late (a retry) never overwrites a newer one.
(N'QrmUpsertUserKey', N'
SET NOCOUNT ON;
SET XACT_ABORT ON;
BEGIN TRANSACTION;
UPDATE dbo.QrmUser WITH (UPDLOCK, HOLDLOCK)
SET Phone = @Phone, FirstName = @FirstName, LastName = @LastName, SearchName = @SearchName, Role = @Role,
    IsActive = @IsActive, IsStaff = @IsStaff, DateJoined = @DateJoined, LegacyId = @LegacyId, Revision = @Revision
WHERE ServiceId = @ServiceId AND UserId = @UserId AND Revision <= @Revision;
IF @@ROWCOUNT = 0 AND NOT EXISTS (SELECT 1 FROM dbo.QrmUser WITH (UPDLOCK, HOLDLOCK) WHERE ServiceId = @ServiceId AND UserId = @UserId)
    INSERT INTO dbo.QrmUser (ServiceId, UserId, Phone, FirstName, LastName, SearchName, Role, IsActive, IsStaff, DateJoined, LegacyId, Revision)
    VALUES (@ServiceId, @UserId, @Phone, @FirstName, @LastName, @SearchName, @Role, @IsActive, @IsStaff, @DateJoined, @LegacyId, @Revision);
COMMIT TRANSACTION;
'),
(N'QrmDeleteUserKey', N'
DELETE FROM dbo.QrmUser WHERE ServiceId = @ServiceId AND UserId = @UserId;
'),
-- Newest first, keyset paging on (DateJoined, UserId); both filters are optional.
(N'QrmSearchUsersKey', N'
SELECT TOP (@Limit) UserId, Phone, FirstName, LastName, Role, IsActive, IsStaff, DateJoined, LegacyId
FROM dbo.QrmUser
WHERE ServiceId = @ServiceId
  AND (@Phone IS NULL OR Phone LIKE @Phone ESCAPE ''\'')
  AND (@Name IS NULL OR SearchName LIKE @Name ESCAPE ''\'')
  AND (@AfterJoined IS NULL OR DateJoined < @AfterJoined OR (DateJoined = @AfterJoined AND UserId < @AfterId))
ORDER BY DateJoined DESC, UserId DESC;
'),
(N'QrmUserStatesKey', N'
SELECT KeyN0, KeyN1, Payload FROM dbo.QrmGrainState WHERE ServiceId = @ServiceId AND StateName = @StateName AND Payload IS NOT NULL;
'),
(N'QrmAppendAuditKey', N'
INSERT INTO dbo.QrmAudit (ServiceId, At, ActorId, Actor, Action, Target, Detail, Ip)
VALUES (@ServiceId, @At, @ActorId, @Actor, @Action, @Target, @Detail, @Ip);
'),
(N'QrmListAuditKey', N'
SELECT TOP (@Limit) Id, At, ActorId, Actor, Action, Target, Detail, Ip
FROM dbo.QrmAudit
WHERE ServiceId = @ServiceId AND (@Before IS NULL OR Id < @Before)
ORDER BY Id DESC;
'),
-- A deleted account's number leaves the audit log: the rows that named it name its keyed hash instead.
(N'QrmForgetAuditPhoneKey', N'
UPDATE dbo.QrmAudit
SET Actor = CASE WHEN Actor = @Phone THEN @Pseudonym ELSE Actor END,
    Target = CASE WHEN Target = @Phone THEN @Pseudonym ELSE Target END
WHERE ServiceId = @ServiceId AND (Actor = @Phone OR Target = @Phone);
');
