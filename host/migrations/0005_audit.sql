-- The audit trail: every change of what the service runs with (the
-- configuration, plugin files, trust) and every operator action, with who
-- made it and the digests before and after. Append-only.
CREATE TABLE audit_events (
    event_id      TEXT PRIMARY KEY,
    -- Microseconds since the Unix epoch (UTC), by the server's clock.
    at            BIGINT NOT NULL,
    -- The token's name for an API call; `file (uid N)` for an edit of a
    -- watched file; `service` for the service itself.
    actor         TEXT NOT NULL,
    -- For example `config.reload`, `plugin.replace`, `replay.run`.
    action        TEXT NOT NULL,
    -- What was acted on: a plugin's name, the config file's name.
    target        TEXT NOT NULL,
    -- `applied` or `refused`.
    outcome       TEXT NOT NULL,
    before_sha256 TEXT,
    after_sha256  TEXT,
    detail        TEXT
);
CREATE INDEX audit_events_by_time ON audit_events (at, event_id);
