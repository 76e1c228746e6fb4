-- Integrations defined through the API or the console, administrators,
-- and bearer credentials (console sessions, API tokens, setup links).

CREATE TABLE integration_defs (
    name       TEXT    PRIMARY KEY,
    type       TEXT    NOT NULL,
    document   TEXT    NOT NULL,
    sealed     BLOB,
    version    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE admins (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE credentials (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    admin_id   INTEGER REFERENCES admins (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX credentials_kind ON credentials (kind, id);
CREATE INDEX credentials_expires ON credentials (expires_at) WHERE expires_at IS NOT NULL;
