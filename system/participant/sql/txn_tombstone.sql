-- The abort record, committed on its own: refuses a late prepare of the same txn. Idempotent.
-- $1 txn id, $2 token, $3 session id (may be null), $4 reason (why the txn aborted here)
INSERT INTO participant_txn (txn_id, state, token, session_id, reason)
VALUES ($1, 'aborted', $2, $3, $4)
ON CONFLICT (txn_id) DO NOTHING
