-- Many decisions in one statement, as decide.sql writes one. `t` is each row as it was when the statement began,
-- looked up by its key: as a plain join the planner, guessing 100 rows from the JSON, hashed the whole txn table.
-- Run unprepared (planned each time; see txlog.ts `planned`). $1 the decisions (jsonb), $2 check the tokens
WITH f AS (SELECT epoch FROM fence WHERE id = 1 FOR SHARE),
v AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS v (
    "txnId" text, decision text, reason text, token bigint, node text, "nowMs" bigint)),
d AS (
  UPDATE txn SET decision = v.decision, reason = v.reason, decision_token = v.token, decided_by = v.node,
                 decided_at = clock_timestamp(), state = 'decided'
  FROM f, v
  WHERE txn.txn_id = v."txnId" AND txn.decision IS NULL AND (f.epoch <= v.token OR NOT $2::boolean)
  RETURNING txn.txn_id, txn.session_id, v.decision, v.token, v."nowMs"),
o AS (
  INSERT INTO outbox (txn_id, session_id, outcome, token, decided_at_ms)
  SELECT txn_id, session_id, decision, token, "nowMs" FROM d)
SELECT v."txnId" AS txn_id, f.epoch, d.txn_id IS NOT NULL AS decided, t.decision, t.reason,
       t.precommitted_at IS NOT NULL AS precommitted
FROM v CROSS JOIN f LEFT JOIN d ON d.txn_id = v."txnId"
LEFT JOIN LATERAL (SELECT * FROM txn WHERE txn.txn_id = v."txnId" LIMIT 1) t ON true
