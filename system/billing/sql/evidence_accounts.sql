-- Evidence for the rig: every account's committed balance and the credit committed sessions hold (spent).
SELECT id, balance, held FROM accounts ORDER BY id
