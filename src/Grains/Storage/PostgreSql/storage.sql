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
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
