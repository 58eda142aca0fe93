-- QrMahalla grain storage for PostgreSQL, written to the Orleans ADO.NET storage contract. The provider reads the
-- statements below from OrleansQuery by key and binds GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash,
-- GrainTypeString, GrainIdExtensionString, ServiceId, GrainStateVersion and PayloadBinary; the key columns are
-- compared directly, so the hashes are not needed. Idempotent: applied at every start under an advisory lock.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

CREATE TABLE IF NOT EXISTS qrm_grain_state
(
    service_id  varchar(150) NOT NULL,
    state_name  varchar(150) NOT NULL,
    key_n0      bigint       NOT NULL,
    key_n1      bigint       NOT NULL,
    key_string  varchar(512) NOT NULL,
    payload     bytea        NULL,
    version     integer      NOT NULL,
    modified_at timestamptz  NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, key_n0, key_n1, key_string)
);

-- The code-state sweep reads rows by state and age.
CREATE INDEX IF NOT EXISTS ix_qrm_grain_state_age ON qrm_grain_state (state_name, modified_at);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM qrm_grain_state
WHERE service_id = @ServiceId AND state_name = @GrainTypeString
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = COALESCE(@GrainIdExtensionString::varchar, '');
$q$),
-- Insert when the caller holds no version, else update only the version it read; a conflict returns no row,
-- which the provider reports as an inconsistent state. INSERT ... ON CONFLICT makes both paths one atomic step.
('WriteToStorageKey', $q$
INSERT INTO qrm_grain_state AS s (service_id, state_name, key_n0, key_n1, key_string, payload, version, modified_at)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString::varchar, ''), @PayloadBinary, 1, now()
WHERE @GrainStateVersion::integer IS NULL
   OR EXISTS (SELECT 1 FROM qrm_grain_state e
              WHERE e.service_id = @ServiceId AND e.state_name = @GrainTypeString AND e.key_n0 = @GrainIdN0
                AND e.key_n1 = @GrainIdN1 AND e.key_string = COALESCE(@GrainIdExtensionString::varchar, ''))
ON CONFLICT (service_id, state_name, key_n0, key_n1, key_string) DO UPDATE
    SET payload = EXCLUDED.payload, version = s.version + 1, modified_at = now()
    WHERE s.version = @GrainStateVersion::integer
RETURNING s.version AS "NewGrainStateVersion";
$q$),
('ClearStorageKey', $q$
UPDATE qrm_grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId AND state_name = @GrainTypeString
  AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = COALESCE(@GrainIdExtensionString::varchar, '')
  AND version = @GrainStateVersion::integer
RETURNING version AS "Version";
$q$),
-- Delete at the caller's version and answer version + 1; a state never written (no version, no row) answers 0.
('DeleteStorageKey', $q$
WITH deleted AS (
    DELETE FROM qrm_grain_state
    WHERE service_id = @ServiceId AND state_name = @GrainTypeString
      AND key_n0 = @GrainIdN0 AND key_n1 = @GrainIdN1 AND key_string = COALESCE(@GrainIdExtensionString::varchar, '')
      AND version = @GrainStateVersion::integer
    RETURNING version)
SELECT CASE
    WHEN EXISTS (SELECT 1 FROM deleted) THEN @GrainStateVersion::integer + 1
    WHEN @GrainStateVersion::integer IS NULL AND NOT EXISTS (
        SELECT 1 FROM qrm_grain_state
        WHERE service_id = @ServiceId AND state_name = @GrainTypeString AND key_n0 = @GrainIdN0
          AND key_n1 = @GrainIdN1 AND key_string = COALESCE(@GrainIdExtensionString::varchar, '')) THEN 0
END AS "Version";
$q$),
-- The project's own sweep: code state whose every window has passed, by age alone.
('QrmSweepStateKey', $q$
DELETE FROM qrm_grain_state
WHERE service_id = @ServiceId AND state_name = @StateName AND modified_at < @Cutoff;
$q$),
-- The group-commit writer (Storage:Writer=Batched) runs the same contract over arrays, one statement per kind of
-- operation and batch, on the same rows and versions. A batch holds each row at most once.
-- Every row is found by its own primary-key probe (a LATERAL subquery with LIMIT 1, which the planner cannot turn
-- into a join), never by a join the planner chooses: the batcher's prepared statements run on generic plans, and on
-- a young table whose statistics are missing a generic plan estimates `service_id = $1` as selective and hashes the
-- whole table on every batch (measured: a batch's cost grew with the table until autovacuum's first ANALYZE).
-- Reads answer the position of each row found in the input arrays.
('QrmBatchReadKey', $q$
SELECT i.ord, s.payload, s.version
FROM unnest(@StateNames::varchar[], @KeysN0::bigint[], @KeysN1::bigint[], @KeyStrings::varchar[])
     WITH ORDINALITY AS i(state_name, key_n0, key_n1, key_string, ord)
CROSS JOIN LATERAL (
    SELECT g.payload, g.version FROM qrm_grain_state g
    WHERE g.service_id = @ServiceId AND g.state_name = i.state_name
      AND g.key_n0 = i.key_n0 AND g.key_n1 = i.key_n1 AND g.key_string = i.key_string
    LIMIT 1) s;
$q$),
-- Writes: a row with no version is inserted at 1 (an existing row is a conflict: its version is never 0); a row
-- with version v is updated to v + 1 only if it is still at v, and never created when it is gone. Rows are taken in
-- key order, so two batches on different silos lock them in the same order and cannot deadlock. A row that does
-- not come back is a conflict for its caller alone.
('QrmBatchWriteKey', $q$
INSERT INTO qrm_grain_state AS s (service_id, state_name, key_n0, key_n1, key_string, payload, version, modified_at)
SELECT @ServiceId, i.state_name, i.key_n0, i.key_n1, i.key_string, i.payload, COALESCE(i.version, 0) + 1, now()
FROM unnest(@StateNames::varchar[], @KeysN0::bigint[], @KeysN1::bigint[], @KeyStrings::varchar[], @Payloads::bytea[], @Versions::integer[])
     AS i(state_name, key_n0, key_n1, key_string, payload, version)
LEFT JOIN LATERAL (
    SELECT true AS present FROM qrm_grain_state g
    WHERE g.service_id = @ServiceId AND g.state_name = i.state_name
      AND g.key_n0 = i.key_n0 AND g.key_n1 = i.key_n1 AND g.key_string = i.key_string
    LIMIT 1) e ON true
WHERE i.version IS NULL OR e.present
ORDER BY i.state_name, i.key_n0, i.key_n1, i.key_string
ON CONFLICT (service_id, state_name, key_n0, key_n1, key_string) DO UPDATE
    SET payload = EXCLUDED.payload, version = EXCLUDED.version, modified_at = EXCLUDED.modified_at
    WHERE s.version = EXCLUDED.version - 1
RETURNING s.state_name, s.key_n0, s.key_n1, s.key_string, s.version;
$q$),
-- Deletes at the caller's version, by the row addresses the probes found (a TID scan). A row that
-- changed after its probe fails the address check on recheck and is left alone. A row that does not come back is a
-- conflict for its caller alone.
('QrmBatchDeleteKey', $q$
DELETE FROM qrm_grain_state s
WHERE s.ctid = ANY (ARRAY(
    SELECT g.ctid
    FROM unnest(@StateNames::varchar[], @KeysN0::bigint[], @KeysN1::bigint[], @KeyStrings::varchar[], @Versions::integer[])
         AS i(state_name, key_n0, key_n1, key_string, version)
    CROSS JOIN LATERAL (
        SELECT g.ctid FROM qrm_grain_state g
        WHERE g.service_id = @ServiceId AND g.state_name = i.state_name
          AND g.key_n0 = i.key_n0 AND g.key_n1 = i.key_n1 AND g.key_string = i.key_string AND g.version = i.version
        LIMIT 1) g
    ORDER BY i.state_name, i.key_n0, i.key_n1, i.key_string))
  AND s.service_id = @ServiceId
RETURNING s.state_name, s.key_n0, s.key_n1, s.key_string, s.version + 1;
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
