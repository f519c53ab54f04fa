-- First start only: $1 subscribers imsi-00101 + a 10-digit index from 0, each with balance $2. Does nothing once
-- any account exists.
INSERT INTO accounts (id, balance, held)
SELECT 'imsi-00101' || lpad(i::text, 10, '0'), $2::bigint, 0
FROM generate_series(0, $1::integer - 1) AS i
WHERE NOT EXISTS (SELECT 1 FROM accounts)
ON CONFLICT (id) DO NOTHING
