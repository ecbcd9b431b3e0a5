-- The customer of each decision (as masked: a hashed id stays hashed, an
-- erased one is NULL), so the handoff context can list the customer's
-- prior contacts. Decisions recorded before this migration have none.
ALTER TABLE decisions ADD COLUMN customer_id TEXT;
CREATE INDEX decisions_by_customer ON decisions (customer_id, decided_at);
