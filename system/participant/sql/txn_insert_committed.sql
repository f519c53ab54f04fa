-- Inside the transaction to be prepared: the row that becomes visible only if COMMIT PREPARED happens.
-- No row back means the txn already has a durable outcome (a tombstone): the prepare must be refused.
-- $1 txn id, $2 token, $3 session id, $4 protocol, $5 detail (json)
INSERT INTO participant_txn (txn_id, state, token, session_id, protocol, detail)
VALUES ($1, 'committed', $2, $3, $4, $5::jsonb)
ON CONFLICT (txn_id) DO NOTHING
RETURNING txn_id
