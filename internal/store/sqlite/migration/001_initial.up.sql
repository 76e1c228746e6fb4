-- The platform schema. Timestamps are integer microseconds since the Unix
-- epoch, UTC; NULL means "never". Columns ending in _key hold the lower-cased
-- value of their field, computed by the application so that case-insensitive
-- lookups use a plain index and behave the same for non-ASCII text.

CREATE TABLE clients (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE sites (
    id         INTEGER PRIMARY KEY,
    client_id  INTEGER NOT NULL REFERENCES clients (id),
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (client_id, name)
);

CREATE TABLE integrations (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    type       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL,
    settings   TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cursors (
    integration_id INTEGER PRIMARY KEY REFERENCES integrations (id) ON DELETE CASCADE,
    value          TEXT    NOT NULL,
    run_id         INTEGER NOT NULL,
    last_full_at   INTEGER,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE runs (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    status         TEXT    NOT NULL,
    mode           TEXT    NOT NULL,
    full_run       INTEGER NOT NULL,
    dry_run        INTEGER NOT NULL,
    trigger_name   TEXT    NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    counts         TEXT    NOT NULL,
    by_kind        TEXT,
    error          TEXT    NOT NULL,
    notes          TEXT    NOT NULL
);
CREATE INDEX runs_integration ON runs (integration_id, started_at);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_started ON runs (started_at);

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    site_id            INTEGER REFERENCES sites (id),
    role               TEXT    NOT NULL,
    active             INTEGER NOT NULL,
    display_name       TEXT    NOT NULL,
    given_name         TEXT    NOT NULL,
    surname            TEXT    NOT NULL,
    upn                TEXT    NOT NULL,
    email              TEXT    NOT NULL,
    job_title          TEXT    NOT NULL,
    department         TEXT    NOT NULL,
    employee_id        TEXT    NOT NULL,
    immutable_id       TEXT    NOT NULL,
    user_type          TEXT    NOT NULL,
    -- A user ID, set from the manager's link. Not a declared foreign key:
    -- SQLite rewrites every index of a row whose self-referencing key
    -- changes, which made re-resolving managers cost five index writes a
    -- user.
    manager_id         INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deactivated_at     INTEGER,
    deactivated_reason TEXT    NOT NULL,
    name_key           TEXT    NOT NULL,
    upn_key            TEXT,
    email_key          TEXT,
    employee_id_key    TEXT,
    immutable_id_key   TEXT
);
-- Blank keys are NULL and left out of the lookup indexes.
CREATE INDEX users_upn_key ON users (upn_key) WHERE upn_key IS NOT NULL;
CREATE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX users_employee_id_key ON users (employee_id_key) WHERE employee_id_key IS NOT NULL;
CREATE INDEX users_immutable_id_key ON users (immutable_id_key) WHERE immutable_id_key IS NOT NULL;
CREATE INDEX users_site ON users (site_id);
-- The inactive entities, few next to the active ones: EntityCount counts
-- them from these alone.
CREATE INDEX users_inactive ON users (id) WHERE active = 0;

CREATE TABLE groups (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    mail               TEXT    NOT NULL,
    active             INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deactivated_at     INTEGER,
    deactivated_reason TEXT    NOT NULL,
    name_key           TEXT    NOT NULL,
    mail_key           TEXT    NOT NULL
);
-- As users_inactive.
CREATE INDEX groups_inactive ON groups (id) WHERE active = 0;

-- Source memberships, in source IDs. GroupMembers resolves them to platform
-- entities through links.
CREATE TABLE memberships (
    integration_id     INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    group_external_id  TEXT    NOT NULL,
    member_external_id TEXT    NOT NULL,
    PRIMARY KEY (integration_id, group_external_id, member_external_id)
) WITHOUT ROWID;
CREATE INDEX memberships_member ON memberships (integration_id, member_external_id);

CREATE TABLE links (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    external_id    TEXT    NOT NULL,
    entity_id      INTEGER,
    status         TEXT    NOT NULL,
    matched_by     TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    data           TEXT,
    reason         TEXT    NOT NULL,
    -- The external ID of the source object's manager at the source; NULL
    -- for none.
    manager_ref    TEXT,
    last_run_id    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE UNIQUE INDEX links_key ON links (integration_id, kind, external_id);
CREATE INDEX links_entity ON links (kind, entity_id);
-- The entities an integration links, in order: EntityCount reads this and
-- the entity tables' indexes of inactive rows, never a table.
CREATE INDEX links_integration_entity ON links (integration_id, kind, entity_id)
    WHERE entity_id IS NOT NULL;
-- The links a run wrote, and the reports of a manager: what
-- UserManagersResolve re-resolves after a run. last_run_id in the second
-- lets it skip the reports the run wrote without reading their rows.
CREATE INDEX links_run ON links (integration_id, kind, last_run_id);
CREATE INDEX links_manager ON links (integration_id, kind, manager_ref, last_run_id)
    WHERE manager_ref IS NOT NULL;

-- The audit trail is append-only and outlives what it describes, so it has
-- no foreign keys.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    run_id         INTEGER NOT NULL,
    integration_id INTEGER NOT NULL,
    kind           TEXT    NOT NULL,
    entity_id      INTEGER NOT NULL,
    action         TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    changes        TEXT
);
CREATE INDEX audit_events_run ON audit_events (run_id);
CREATE INDEX audit_events_entity ON audit_events (kind, entity_id);
CREATE INDEX audit_events_at ON audit_events (at);

-- Run scratch: seen marks, queued records and re-scope candidates. Not
-- platform data; RunScratchClear drops a run's rows.
CREATE TABLE run_seen (
    run_id      INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    PRIMARY KEY (run_id, kind, external_id)
) WITHOUT ROWID;

CREATE TABLE run_seen_members (
    run_id             INTEGER NOT NULL,
    group_external_id  TEXT    NOT NULL,
    member_external_id TEXT    NOT NULL,
    PRIMARY KEY (run_id, group_external_id, member_external_id)
) WITHOUT ROWID;

CREATE TABLE run_pending (
    run_id      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    record      TEXT,
    reason      TEXT    NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE run_rescope (
    run_id             INTEGER NOT NULL,
    member_external_id TEXT    NOT NULL,
    PRIMARY KEY (run_id, member_external_id)
) WITHOUT ROWID;
