-- The facts the KPIs read from outcome events, as plain columns so that one
-- query means the same on SQLite and PostgreSQL (their JSON functions
-- differ). Filled when an event is stored; `facts` = 0 marks rows stored
-- before this migration, which the store fills in when it opens.
ALTER TABLE outcome_events ADD COLUMN facts BIGINT NOT NULL DEFAULT 0;
-- human_assigned / human_first_reply / handed_back_to_ai: `agent`;
-- transferred: `to_agent`.
ALTER TABLE outcome_events ADD COLUMN agent TEXT;
-- human_assigned: `queue`; transferred: `to_queue`.
ALTER TABLE outcome_events ADD COLUMN queue TEXT;
-- resolved: `by`; review: `verdict`.
ALTER TABLE outcome_events ADD COLUMN detail TEXT;
-- csat: `score`.
ALTER TABLE outcome_events ADD COLUMN score BIGINT;
-- review: the corrected `tag`.
ALTER TABLE outcome_events ADD COLUMN tag TEXT;
-- human_first_reply with `text`: how aware of the handoff context the reply
-- was (aware, generic, restart) and its points (0-3), scored once the
-- decision it follows is in the log. NULL until then.
ALTER TABLE outcome_events ADD COLUMN reply_level TEXT;
ALTER TABLE outcome_events ADD COLUMN reply_points BIGINT;
CREATE INDEX outcome_events_by_type ON outcome_events (type, conversation_id, at);
-- The replies waiting to be scored, and the rows waiting for their facts:
-- both found without scanning the table.
CREATE INDEX outcome_events_by_reply_level ON outcome_events (reply_level, at);
CREATE INDEX outcome_events_unfilled ON outcome_events (event_id) WHERE facts = 0;
CREATE INDEX decisions_by_action ON decisions (action, decided_at);
