-- Appointments from mailboxes' calendars, and licences (subscribed SKUs of
-- a tenant) with the users that hold them.

CREATE TABLE appointments (
    id                 INTEGER PRIMARY KEY,
    -- The platform user whose mailbox holds the event (NULL when no
    -- platform user has that mailbox).
    user_id            INTEGER,
    mailbox            TEXT    NOT NULL,
    series_id          TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    subject            TEXT    NOT NULL,
    start_at           INTEGER NOT NULL,
    end_at             INTEGER NOT NULL,
    time_zone          TEXT    NOT NULL,
    all_day            INTEGER NOT NULL,
    location           TEXT    NOT NULL,
    organizer          TEXT    NOT NULL,
    attendees          TEXT    NOT NULL,
    show_as            TEXT    NOT NULL,
    private            INTEGER NOT NULL,
    recurrence         TEXT    NOT NULL,
    cancelled          INTEGER NOT NULL,
    active             INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deactivated_at     INTEGER,
    deactivated_reason TEXT    NOT NULL
);
CREATE INDEX appointments_user ON appointments (user_id, start_at);
CREATE INDEX appointments_inactive ON appointments (id) WHERE active = 0;

CREATE TABLE licences (
    id                 INTEGER PRIMARY KEY,
    client_id          INTEGER REFERENCES clients (id),
    tenant_id          TEXT    NOT NULL,
    sku_id             TEXT    NOT NULL,
    sku_part_number    TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    capability_status  TEXT    NOT NULL,
    enabled_units      INTEGER NOT NULL,
    suspended_units    INTEGER NOT NULL,
    warning_units      INTEGER NOT NULL,
    consumed_units     INTEGER NOT NULL,
    active             INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deactivated_at     INTEGER,
    deactivated_reason TEXT    NOT NULL,
    UNIQUE (tenant_id, sku_id)
);
CREATE INDEX licences_client ON licences (client_id, id);
CREATE INDEX licences_inactive ON licences (id) WHERE active = 0;

CREATE TABLE licence_assignments (
    licence_id INTEGER NOT NULL REFERENCES licences (id),
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (licence_id, user_id)
) WITHOUT ROWID;
CREATE INDEX licence_assignments_user ON licence_assignments (user_id);
