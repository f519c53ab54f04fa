-- Holds $2 of subscriber $1's credit, taking the row lock. Raises (participant_refuse) 'no_credit' when the balance
-- does not cover it and 'unknown_subscriber' when there is no such account.
WITH held AS (
  UPDATE accounts SET balance = balance - $2::bigint, held = held + $2::bigint
  WHERE id = $1 AND balance >= $2::bigint
  RETURNING id
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM held) THEN $1::text
            WHEN EXISTS (SELECT 1 FROM accounts WHERE id = $1) THEN participant_refuse('no_credit')
            ELSE participant_refuse('unknown_subscriber') END AS id
