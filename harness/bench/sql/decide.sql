-- The decision (txlog.ts decide), in one transaction with the outbox row. $1 txn id, $2 decision, $3 reason,
-- $4 token, $5 node
UPDATE txn SET decision = $2, reason = $3, decision_token = $4, decided_by = $5,
               decided_at = clock_timestamp(), state = 'decided'
WHERE txn_id = $1 AND decision IS NULL
RETURNING session_id
