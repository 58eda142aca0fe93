-- QrMahalla admin tables for PostgreSQL: the users read model (written by user grains, read by staff search only)
-- and the audit log. The statements the code runs are stored in OrleansQuery by key. Idempotent.

CREATE TABLE IF NOT EXISTS qrm_user
(
    service_id  varchar(150) NOT NULL,
    user_id     uuid         NOT NULL,
    phone       varchar(32)  NOT NULL,
    first_name  varchar(100) NOT NULL,
    last_name   varchar(100) NOT NULL,
    search_name varchar(201) NOT NULL,
    role        varchar(30)  NOT NULL,
    is_active   boolean      NOT NULL,
    is_staff    boolean      NOT NULL,
    date_joined timestamptz  NOT NULL,
    legacy_id   bigint       NULL,
    revision    bigint       NOT NULL,
    PRIMARY KEY (service_id, user_id)
);

CREATE INDEX IF NOT EXISTS ix_qrm_user_joined ON qrm_user (service_id, date_joined DESC, user_id DESC);
CREATE INDEX IF NOT EXISTS ix_qrm_user_phone ON qrm_user (service_id, phone varchar_pattern_ops);

CREATE TABLE IF NOT EXISTS qrm_audit
(
    id         bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id varchar(150) NOT NULL,
    at         timestamptz  NOT NULL,
    actor_id   uuid         NULL,
    actor      varchar(64)  NOT NULL,
    action     varchar(64)  NOT NULL,
    target     varchar(64)  NOT NULL,
    detail     text         NULL,
    ip         varchar(64)  NULL
);

CREATE INDEX IF NOT EXISTS ix_qrm_audit_service ON qrm_audit (service_id, id DESC);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
-- A row only moves forward: an older revision arriving late (a retry) never overwrites a newer one.
('QrmUpsertUserKey', $q$
INSERT INTO qrm_user AS u (service_id, user_id, phone, first_name, last_name, search_name, role, is_active, is_staff, date_joined, legacy_id, revision)
VALUES (@ServiceId, @UserId, @Phone, @FirstName, @LastName, @SearchName, @Role, @IsActive, @IsStaff, @DateJoined, @LegacyId, @Revision)
ON CONFLICT (service_id, user_id) DO UPDATE SET
    phone = EXCLUDED.phone, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    search_name = EXCLUDED.search_name, role = EXCLUDED.role, is_active = EXCLUDED.is_active,
    is_staff = EXCLUDED.is_staff, date_joined = EXCLUDED.date_joined, legacy_id = EXCLUDED.legacy_id,
    revision = EXCLUDED.revision
WHERE EXCLUDED.revision >= u.revision;
$q$),
('QrmDeleteUserKey', $q$
DELETE FROM qrm_user WHERE service_id = @ServiceId AND user_id = @UserId;
$q$),
-- Newest first, keyset paging on (date_joined, user_id); both filters are optional.
('QrmSearchUsersKey', $q$
SELECT user_id, phone, first_name, last_name, role, is_active, is_staff, date_joined, legacy_id
FROM qrm_user
WHERE service_id = @ServiceId
  AND (@Phone::varchar IS NULL OR phone LIKE @Phone::varchar ESCAPE '\')
  AND (@Name::varchar IS NULL OR search_name LIKE @Name::varchar ESCAPE '\')
  AND (@AfterJoined::timestamptz IS NULL OR (date_joined, user_id) < (@AfterJoined::timestamptz, @AfterId::uuid))
ORDER BY date_joined DESC, user_id DESC
LIMIT @Limit;
$q$),
('QrmUserStatesKey', $q$
SELECT key_n0, key_n1, payload FROM qrm_grain_state WHERE service_id = @ServiceId AND state_name = @StateName AND payload IS NOT NULL;
$q$),
('QrmAppendAuditKey', $q$
INSERT INTO qrm_audit (service_id, at, actor_id, actor, action, target, detail, ip)
VALUES (@ServiceId, @At, @ActorId, @Actor, @Action, @Target, @Detail, @Ip);
$q$),
('QrmListAuditKey', $q$
SELECT id, at, actor_id, actor, action, target, detail, ip
FROM qrm_audit
WHERE service_id = @ServiceId AND (@Before::bigint IS NULL OR id < @Before::bigint)
ORDER BY id DESC
LIMIT @Limit;
$q$),
-- A deleted account's number leaves the audit log: the rows that named it name its keyed hash instead.
('QrmForgetAuditPhoneKey', $q$
UPDATE qrm_audit
SET actor = CASE WHEN actor = @Phone THEN @Pseudonym ELSE actor END,
    target = CASE WHEN target = @Phone THEN @Pseudonym ELSE target END
WHERE service_id = @ServiceId AND (actor = @Phone OR target = @Phone);
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
