-- Many closes in one statement, as close.sql writes one. Run unprepared (see txlog.ts `planned`).
-- $1 the closes (jsonb: txnId, token)
WITH f AS (SELECT epoch FROM fence WHERE id = 1 FOR SHARE)
UPDATE txn SET closed_at = now(), state = 'closed'
FROM f, jsonb_to_recordset($1::jsonb) AS v ("txnId" text, token bigint)
WHERE txn.txn_id = v."txnId" AND txn.closed_at IS NULL AND f.epoch <= v.token
