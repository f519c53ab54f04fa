-- Accounts with a negative balance (must never happen). $1 row limit
SELECT id FROM accounts WHERE balance < 0 ORDER BY id LIMIT $1
