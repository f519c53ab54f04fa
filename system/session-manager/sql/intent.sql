-- One intent row, fenced by a share lock on the fence row, committed on its own before any participant is
-- contacted; nothing when the idempotency key is logged already or the fence is above the token.
-- $1 txn id, $2 session id, $3 protocol, $4 kind, $5 token, $6 node, $7 request (jsonb), $8 idempotency key,
-- $9 check the token (false only for the planted bug no-fencing)
INSERT INTO txn (txn_id, session_id, protocol, kind, state, token, node, request, idempotency_key)
SELECT $1, $2, $3, $4, 'started', $5, $6, $7::jsonb, $8
FROM fence WHERE id = 1 AND (epoch <= $5 OR NOT $9::boolean) FOR SHARE
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING txn_id
