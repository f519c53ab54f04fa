-- The event's outbox row, committed with the decision (txlog.ts decide). $1 txn id, $2 session id, $3 outcome,
-- $4 token, $5 decided at (ms)
INSERT INTO outbox (txn_id, session_id, outcome, token, decided_at_ms)
VALUES ($1, $2, $3, $4, $5)
