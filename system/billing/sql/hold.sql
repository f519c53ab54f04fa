-- Holds $2 of subscriber $1's credit, taking the row lock. No row back: not enough credit, or no such account.
UPDATE accounts SET balance = balance - $2::bigint, held = held + $2::bigint
WHERE id = $1 AND balance >= $2::bigint
RETURNING id
