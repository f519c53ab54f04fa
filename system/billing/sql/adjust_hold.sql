-- A modify: the session's hold on subscriber $1 goes from $2 to $3, taking the row lock; the difference comes from,
-- or goes back to, the balance. Raises (participant_refuse) 'no_credit' when the balance does not cover a rise,
-- 'nothing_held' when the account holds less than $2, and 'unknown_subscriber' when there is no such account.
WITH moved AS (
  UPDATE accounts SET balance = balance - ($3::bigint - $2::bigint), held = held + ($3::bigint - $2::bigint)
  WHERE id = $1 AND held >= $2::bigint AND balance >= $3::bigint - $2::bigint
  RETURNING id
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN $1::text
            WHEN NOT EXISTS (SELECT 1 FROM accounts WHERE id = $1) THEN participant_refuse('unknown_subscriber')
            WHEN EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND held < $2::bigint) THEN participant_refuse('nothing_held')
            ELSE participant_refuse('no_credit') END AS id
