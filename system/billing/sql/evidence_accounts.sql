-- Evidence for the rig: every account's committed balance, the credit committed sessions hold (spent) and the
-- credit released sessions were charged.
SELECT id, balance, held, charged FROM accounts ORDER BY id
