-- QrMahalla admin tables for SQLite: the users read model (written by user grains, read by staff search only)
-- and the audit log. The statements the code runs are stored in OrleansQuery by key, like the storage ones.
-- Times are ISO-8601 UTC text of fixed width, so they compare correctly as strings. Idempotent.

CREATE TABLE IF NOT EXISTS QrmUser
(
    ServiceId   TEXT    NOT NULL,
    UserId      TEXT    NOT NULL,
    Phone       TEXT    NOT NULL,
    FirstName   TEXT    NOT NULL,
    LastName    TEXT    NOT NULL,
    SearchName  TEXT    NOT NULL,
    Role        TEXT    NOT NULL,
    IsActive    INTEGER NOT NULL,
    IsStaff     INTEGER NOT NULL,
    DateJoined  TEXT    NOT NULL,
    LegacyId    INTEGER NULL,
    Revision    INTEGER NOT NULL,
    PRIMARY KEY (ServiceId, UserId)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS IX_QrmUser_Joined ON QrmUser (ServiceId, DateJoined DESC, UserId DESC);
CREATE INDEX IF NOT EXISTS IX_QrmUser_Phone ON QrmUser (ServiceId, Phone);

CREATE TABLE IF NOT EXISTS QrmAudit
(
    Id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ServiceId TEXT    NOT NULL,
    At        TEXT    NOT NULL,
    ActorId   TEXT    NULL,
    Actor     TEXT    NOT NULL,
    Action    TEXT    NOT NULL,
    Target    TEXT    NOT NULL,
    Detail    TEXT    NULL,
    Ip        TEXT    NULL
);

-- A row only moves forward: an older revision arriving late (a retry) never overwrites a newer one.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmUpsertUserKey', '
INSERT INTO QrmUser (ServiceId, UserId, Phone, FirstName, LastName, SearchName, Role, IsActive, IsStaff, DateJoined, LegacyId, Revision)
VALUES (@ServiceId, @UserId, @Phone, @FirstName, @LastName, @SearchName, @Role, @IsActive, @IsStaff, @DateJoined, @LegacyId, @Revision)
ON CONFLICT (ServiceId, UserId) DO UPDATE SET
    Phone = excluded.Phone, FirstName = excluded.FirstName, LastName = excluded.LastName,
    SearchName = excluded.SearchName, Role = excluded.Role, IsActive = excluded.IsActive, IsStaff = excluded.IsStaff,
    DateJoined = excluded.DateJoined, LegacyId = excluded.LegacyId, Revision = excluded.Revision
WHERE excluded.Revision >= QrmUser.Revision;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmDeleteUserKey', '
DELETE FROM QrmUser WHERE ServiceId = @ServiceId AND UserId = @UserId;
');

-- Newest first, keyset paging on (DateJoined, UserId); both filters are optional.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmSearchUsersKey', '
SELECT UserId, Phone, FirstName, LastName, Role, IsActive, IsStaff, DateJoined, LegacyId
FROM QrmUser
WHERE ServiceId = @ServiceId
  AND (@Phone IS NULL OR Phone LIKE @Phone ESCAPE ''\'')
  AND (@Name IS NULL OR SearchName LIKE @Name ESCAPE ''\'')
  AND (@AfterJoined IS NULL OR DateJoined < @AfterJoined OR (DateJoined = @AfterJoined AND UserId < @AfterId))
ORDER BY DateJoined DESC, UserId DESC
LIMIT @Limit;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmUserStatesKey', '
SELECT KeyN0, KeyN1, Payload FROM QrmGrainState WHERE ServiceId = @ServiceId AND StateName = @StateName AND Payload IS NOT NULL;
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmAppendAuditKey', '
INSERT INTO QrmAudit (ServiceId, At, ActorId, Actor, Action, Target, Detail, Ip)
VALUES (@ServiceId, @At, @ActorId, @Actor, @Action, @Target, @Detail, @Ip);
');

INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmListAuditKey', '
SELECT Id, At, ActorId, Actor, Action, Target, Detail, Ip
FROM QrmAudit
WHERE ServiceId = @ServiceId AND (@Before IS NULL OR Id < @Before)
ORDER BY Id DESC
LIMIT @Limit;
');

-- A deleted account's number leaves the audit log: the rows that named it name its keyed hash instead.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmForgetAuditPhoneKey', '
UPDATE QrmAudit
SET Actor = CASE WHEN Actor = @Phone THEN @Pseudonym ELSE Actor END,
    Target = CASE WHEN Target = @Phone THEN @Pseudonym ELSE Target END
WHERE ServiceId = @ServiceId AND (Actor = @Phone OR Target = @Phone);
');
