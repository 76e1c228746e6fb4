-- Platform assets (devices), one per physical or virtual device whatever
-- the number of sources reporting it, and the organisation mapping table
-- that places the devices of RMM organisations at platform clients.

CREATE TABLE assets (
    id                  INTEGER PRIMARY KEY,
    client_id           INTEGER REFERENCES clients (id),
    site_id             INTEGER REFERENCES sites (id),
    asset_type          TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    hostname            TEXT    NOT NULL,
    serial_number       TEXT    NOT NULL,
    manufacturer        TEXT    NOT NULL,
    model               TEXT    NOT NULL,
    os                  TEXT    NOT NULL,
    os_version          TEXT    NOT NULL,
    -- Comma-separated, normalised (upper-case, colon-separated).
    mac_addresses       TEXT    NOT NULL,
    ip_addresses        TEXT    NOT NULL,
    primary_user_id     INTEGER,
    last_logged_on_user TEXT    NOT NULL,
    last_seen           INTEGER,
    online              TEXT    NOT NULL,
    compliance          TEXT    NOT NULL,
    -- JSON object of the other attributes: owner type, encryption,
    -- warranty, CPU, memory, disks, software, custom fields.
    details             TEXT    NOT NULL,
    owners              TEXT    NOT NULL,
    active              INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deactivated_at      INTEGER,
    deactivated_reason  TEXT    NOT NULL,
    deactivated_by      INTEGER NOT NULL,
    -- Matching keys, computed by the engine; NULL when the device has none
    -- usable (a placeholder serial, only virtual MACs).
    serial_key          TEXT,
    mac_key             TEXT,
    hostname_key        TEXT
);
CREATE INDEX assets_serial ON assets (serial_key) WHERE serial_key IS NOT NULL;
CREATE INDEX assets_mac ON assets (mac_key) WHERE mac_key IS NOT NULL;
CREATE INDEX assets_hostname ON assets (client_id, hostname_key) WHERE hostname_key IS NOT NULL;
CREATE INDEX assets_inactive ON assets (id) WHERE active = 0;
CREATE INDEX assets_site ON assets (site_id, id);

CREATE TABLE org_mappings (
    id              INTEGER PRIMARY KEY,
    integration_id  INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    source_org_id   TEXT    NOT NULL,
    source_org_name TEXT    NOT NULL,
    client          TEXT    NOT NULL,
    site            TEXT    NOT NULL,
    -- "auto" (matched by name by a run), "api" (an operator).
    origin          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (integration_id, source_org_id)
);
