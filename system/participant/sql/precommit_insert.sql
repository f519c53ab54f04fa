-- 3PC pre-commit, durable and idempotent, recorded only while the txn is prepared here: a row back means it was
-- recorded now; no row means it was recorded before or the txn is not prepared (the caller reads the state).
-- $1 txn id, $2 token, $3 gid (`<node>:<txnId>`)
INSERT INTO participant_precommit (txn_id, token)
SELECT $1::text, $2::bigint
WHERE EXISTS (SELECT 1 FROM pg_prepared_xacts x WHERE x.gid = $3::text AND x.database = current_database())
ON CONFLICT (txn_id) DO NOTHING
RETURNING txn_id
