-- 3PC: the decision to pre-commit (txlog.ts precommit). $1 txn id, $2 token
UPDATE txn SET state = 'precommitted', precommit_token = $2, precommitted_at = now()
WHERE txn_id = $1 AND decision IS NULL
RETURNING txn_id
