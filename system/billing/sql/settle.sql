-- A release: the session's hold of $2 on subscriber $1 is charged (held -> charged), taking the row lock. Raises
-- (participant_refuse) 'nothing_held' when the account holds less than $2 and 'unknown_subscriber' when there is
-- no such account.
WITH settled AS (
  UPDATE accounts SET held = held - $2::bigint, charged = charged + $2::bigint
  WHERE id = $1 AND held >= $2::bigint
  RETURNING id
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM settled) THEN $1::text
            WHEN EXISTS (SELECT 1 FROM accounts WHERE id = $1) THEN participant_refuse('nothing_held')
            ELSE participant_refuse('unknown_subscriber') END AS id
