-- Inside the transaction to be prepared: the row that becomes visible only if COMMIT PREPARED happens.
-- Raises 'existing' (participant_refuse) when the txn already has a durable outcome (a tombstone or a committed
-- row) or is prepared already (a repeated prepare): the caller then reads the state to answer. The prepared check
-- is here, not in a read before it, so that the usual prepare costs one statement; it also keeps a repeated prepare
-- from waiting on the row lock its own prepared transaction holds.
-- Also returns the backend and its transaction id (32-bit, as pg_stat_activity.backend_xid shows it), so wait-for
-- edges read from pg_locks can be named by txn, and a deadlock victim's waiting statement can be cancelled.
-- $1 txn id, $2 token, $3 session id, $4 protocol, $5 detail (json), $6 gid (`<node>:<txnId>`)
WITH inserted AS (
  INSERT INTO participant_txn (txn_id, state, token, session_id, protocol, detail)
  SELECT $1::text, 'committed', $2::bigint, $3::text, $4::text, $5::jsonb
  WHERE NOT EXISTS (SELECT 1 FROM pg_prepared_xacts x WHERE x.gid = $6::text AND x.database = current_database())
  ON CONFLICT (txn_id) DO NOTHING
  RETURNING txn_id
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM inserted) THEN pg_backend_pid()::text
            ELSE participant_refuse('existing') END AS pid,
       (pg_current_xact_id()::text::numeric % 4294967296)::bigint::text AS xid
