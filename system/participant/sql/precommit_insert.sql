-- 3PC pre-commit, durable and idempotent. $1 txn id, $2 token
INSERT INTO participant_precommit (txn_id, token) VALUES ($1, $2) ON CONFLICT (txn_id) DO NOTHING
