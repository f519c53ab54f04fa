-- The standing decision, read back inside the decision transaction (txlog.ts decide). $1 txn id
SELECT decision, reason FROM txn WHERE txn_id = $1
