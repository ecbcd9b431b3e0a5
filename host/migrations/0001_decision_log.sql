-- The decision log and outcome events. Written once for SQLite and
-- PostgreSQL alike: only types both read the same way (TEXT, BIGINT,
-- DOUBLE PRECISION), times as microseconds since the Unix epoch (UTC), and
-- every row keyed by an id so that a repeated write stores nothing twice.

CREATE TABLE decisions (
    decision_id     TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    -- The decision's `now`: the instant it was made for.
    decided_at      BIGINT NOT NULL,
    -- The server's clock when it was made; retention counts from it.
    recorded_at     BIGINT NOT NULL,
    channel         TEXT,
    category        TEXT,
    subcategory     TEXT,
    customer_tier   TEXT,
    language        TEXT,
    action          TEXT NOT NULL,
    tier            TEXT NOT NULL,
    priority        BIGINT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    hard            BIGINT NOT NULL,
    config_version  BIGINT NOT NULL,
    config_sha256   TEXT,
    generation      BIGINT NOT NULL,
    elapsed_us      BIGINT NOT NULL,
    -- The whole record as JSON: the decision, every vote, the request.
    record          TEXT NOT NULL
);
CREATE INDEX decisions_by_time ON decisions (decided_at, decision_id);
CREATE INDEX decisions_by_conversation ON decisions (conversation_id, decided_at);
CREATE INDEX decisions_by_recorded ON decisions (recorded_at);

-- The reasons that carried each decision, for filters by code and tag.
CREATE TABLE decision_reasons (
    decision_id TEXT NOT NULL,
    position    BIGINT NOT NULL,
    source      TEXT NOT NULL,
    code        TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (decision_id, position)
);
CREATE INDEX decision_reasons_by_code ON decision_reasons (code, decision_id);
CREATE INDEX decision_reasons_by_tag ON decision_reasons (tag, decision_id);

-- The plugins that voted in each decision, for filters by plugin.
CREATE TABLE decision_plugins (
    decision_id TEXT NOT NULL,
    plugin      TEXT NOT NULL,
    version     TEXT,
    sha256      TEXT,
    verdict     TEXT NOT NULL,
    error_kind  TEXT,
    PRIMARY KEY (decision_id, plugin)
);
CREATE INDEX decision_plugins_by_plugin ON decision_plugins (plugin, decision_id);

-- What happened after decisions, as senders reported it. Append-only.
CREATE TABLE outcome_events (
    event_id        TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    decision_id     TEXT,
    at              BIGINT NOT NULL,
    -- The server's clock when received, made unique within a batch; orders
    -- events that share `at`.
    received_at     BIGINT NOT NULL,
    event           TEXT NOT NULL
);
CREATE INDEX outcome_events_by_conversation ON outcome_events (conversation_id, at);
CREATE INDEX outcome_events_by_decision ON outcome_events (decision_id);
CREATE INDEX outcome_events_by_received ON outcome_events (received_at);
