-- The log row closed once every participant acknowledged phase 2, fenced. $1 txn id, $2 token
UPDATE txn SET closed_at = now(), state = 'closed'
WHERE txn_id = $1 AND closed_at IS NULL
  AND EXISTS (SELECT 1 FROM fence WHERE id = 1 AND epoch <= $2 FOR SHARE)
