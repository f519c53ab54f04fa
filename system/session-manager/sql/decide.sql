-- One decision and its outbox row in one statement: the fence row is share-locked (f) before the decision can be
-- written (d joins f) and held until the implicit commit, so a fence raise either waits for it or is seen by it.
-- Returns the fence's epoch, whether this statement decided, and the row as the statement began.
-- $1 txn id, $2 decision, $3 reason, $4 token, $5 node, $6 decided at (ms, the coordinator's clock),
-- $7 check the token
WITH f AS (SELECT epoch FROM fence WHERE id = 1 FOR SHARE),
d AS (
  UPDATE txn SET decision = $2, reason = $3, decision_token = $4, decided_by = $5,
                 decided_at = clock_timestamp(), state = 'decided'
  FROM f
  WHERE txn.txn_id = $1 AND txn.decision IS NULL AND (f.epoch <= $4 OR NOT $7::boolean)
  RETURNING txn.session_id),
o AS (
  INSERT INTO outbox (txn_id, session_id, outcome, token, decided_at_ms)
  SELECT $1, session_id, $2, $4, $6 FROM d)
SELECT f.epoch, EXISTS (SELECT 1 FROM d) AS decided, t.decision, t.reason,
       t.precommitted_at IS NOT NULL AS precommitted
FROM f LEFT JOIN txn t ON t.txn_id = $1
