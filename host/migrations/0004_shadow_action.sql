-- What each decision would have been had its shadow rules counted (the
-- action's name, as in `action`); NULL when no shadow rule was configured,
-- and for every decision recorded before this migration.
ALTER TABLE decisions ADD COLUMN shadow_action TEXT;
-- The shadow KPIs read the shadowed decisions of a time range. Partial, so
-- a log that never ran a shadow rule pays nothing for it; the columns the
-- report groups by are in the index so that SQLite reads only the index.
CREATE INDEX decisions_shadowed ON decisions (decided_at, conversation_id, action, shadow_action)
    WHERE shadow_action IS NOT NULL;
