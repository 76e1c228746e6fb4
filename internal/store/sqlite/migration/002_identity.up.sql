-- One person across many sources: who owns which field of a user, which
-- integration deactivated it, and the review queue of ambiguous matches.

-- owners is a JSON object {field: integration_id}; '' while one source
-- alone writes the user.
ALTER TABLE users ADD COLUMN owners TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN deactivated_by INTEGER NOT NULL DEFAULT 0;

CREATE TABLE review_items (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL,
    external_id    TEXT    NOT NULL,
    rule           TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    -- JSON array of platform entity IDs.
    candidates     TEXT    NOT NULL,
    data           TEXT,
    status         TEXT    NOT NULL,
    run_id         INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    resolved_at    INTEGER,
    resolved_by    TEXT    NOT NULL
);
CREATE UNIQUE INDEX review_items_key ON review_items (integration_id, kind, external_id);
CREATE INDEX review_items_status ON review_items (status, id);
