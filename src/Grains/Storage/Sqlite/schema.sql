-- QrMahalla grain storage for SQLite, written to the Orleans ADO.NET storage contract:
-- the provider reads its statements from OrleansQuery by key and binds GrainIdHash, GrainIdN0, GrainIdN1,
-- GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, GrainStateVersion and PayloadBinary.
-- SQLite compares the key columns directly, so the hash parameters are accepted and left unused.
-- Applied on every start: each statement is idempotent.


CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS QrmGrainState
(
    ServiceId   TEXT    NOT NULL,
    StateName   TEXT    NOT NULL,
    KeyN0       INTEGER NOT NULL,
    KeyN1       INTEGER NOT NULL,
    KeyString   TEXT    NOT NULL,
    Payload     BLOB    NULL,
    Version     INTEGER NOT NULL,
    ModifiedAt  TEXT    NOT NULL,
    PRIMARY KEY (ServiceId, StateName, KeyN0, KeyN1, KeyString)
) WITHOUT ROWID;

-- Sweeping code state by age reads this index.
CREATE INDEX IF NOT EXISTS IX_QrmGrainState_Age ON QrmGrainState (StateName, ModifiedAt);

-- Read: the payload and its version, or no row at all.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT Payload AS PayloadBinary, Version
FROM QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = IFNULL(@GrainIdExtensionString, '''');
');

-- Write: insert when the caller has no version yet, otherwise update only the version it read.
-- A version conflict returns no row, which the provider reports as an inconsistent state.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
INSERT INTO QrmGrainState (ServiceId, StateName, KeyN0, KeyN1, KeyString, Payload, Version, ModifiedAt)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, IFNULL(@GrainIdExtensionString, ''''), @PayloadBinary, 1,
       strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM QrmGrainState
              WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
                AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = IFNULL(@GrainIdExtensionString, ''''))
ON CONFLICT (ServiceId, StateName, KeyN0, KeyN1, KeyString) DO UPDATE
    SET Payload = excluded.Payload, Version = Version + 1, ModifiedAt = excluded.ModifiedAt
    WHERE Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
');

-- Clear (kept for DeleteStateOnClear = false): empty the payload, bump the version.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE QrmGrainState
SET Payload = NULL, Version = Version + 1, ModifiedAt = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = IFNULL(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion
RETURNING Version;
');

-- Delete: remove the row at the caller's version and answer that version + 1. A state that was never
-- written (no version, no row) answers 0 so clearing it is not taken for a conflict.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
DELETE FROM QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
  AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = IFNULL(@GrainIdExtensionString, '''')
  AND Version = @GrainStateVersion;
SELECT CASE
    WHEN changes() > 0 THEN @GrainStateVersion + 1
    WHEN @GrainStateVersion IS NULL AND NOT EXISTS (
        SELECT 1 FROM QrmGrainState
        WHERE ServiceId = @ServiceId AND StateName = @GrainTypeString
          AND KeyN0 = @GrainIdN0 AND KeyN1 = @GrainIdN1 AND KeyString = IFNULL(@GrainIdExtensionString, '''')) THEN 0
    ELSE NULL
END AS Version;
');

-- The project's own sweep: code state whose every window has passed, by age alone.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('QrmSweepStateKey', '
DELETE FROM QrmGrainState
WHERE ServiceId = @ServiceId AND StateName = @StateName AND ModifiedAt < @Cutoff;
');
