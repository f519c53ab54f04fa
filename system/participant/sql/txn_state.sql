-- The durable facts about one transaction, in one round trip.
-- $1 txn id, $2 gid (`<node>:<txnId>`; the Postgres cluster is shared, so filter by this database).
SELECT t.state AS row_state,
       t.token AS row_token,
       EXISTS (SELECT 1 FROM pg_prepared_xacts x WHERE x.gid = $2 AND x.database = current_database()) AS prepared,
       p.token AS precommit_token
FROM (SELECT 1) AS one
LEFT JOIN participant_txn t ON t.txn_id = $1
LEFT JOIN participant_precommit p ON p.txn_id = $1
