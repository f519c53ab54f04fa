-- 3PC: the decision to pre-commit, fenced as a decision is, unless a decision is logged already. Returns the
-- fence's epoch, whether this statement pre-committed, and the decision that stands (if any).
-- $1 txn id, $2 token, $3 check the token
WITH f AS (SELECT epoch FROM fence WHERE id = 1 FOR SHARE),
u AS (
  UPDATE txn SET state = 'precommitted', precommit_token = $2, precommitted_at = now()
  FROM f
  WHERE txn.txn_id = $1 AND txn.decision IS NULL AND (f.epoch <= $2 OR NOT $3::boolean)
  RETURNING txn.txn_id)
SELECT f.epoch, EXISTS (SELECT 1 FROM u) AS precommitted, t.decision, t.reason
FROM f LEFT JOIN txn t ON t.txn_id = $1
