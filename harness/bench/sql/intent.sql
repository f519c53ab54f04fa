-- The coordinator's intent row, as system/session-manager/txlog.ts insertIntent writes it (keep in step): fenced
-- by a share lock on the fence row, committed on its own before any participant is contacted.
-- $1 txn id, $2 session id, $3 protocol, $4 kind, $5 token, $6 node, $7 request (json), $8 idempotency key
INSERT INTO txn (txn_id, session_id, protocol, kind, state, token, node, request, idempotency_key)
SELECT $1, $2, $3, $4, 'started', $5, $6, $7::jsonb, $8
FROM fence WHERE id = 1 AND epoch <= $5 FOR SHARE
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING txn_id
