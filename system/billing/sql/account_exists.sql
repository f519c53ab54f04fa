SELECT 1 AS found FROM accounts WHERE id = $1
