-- Inside the transaction to be prepared: the row that becomes visible only if COMMIT PREPARED happens.
-- No row back means the txn already has a durable outcome (a tombstone): the prepare must be refused.
-- Also returns the backend and its transaction id (32-bit, as pg_stat_activity.backend_xid shows it), so wait-for
-- edges read from pg_locks can be named by txn, and a deadlock victim's waiting statement can be cancelled.
-- $1 txn id, $2 token, $3 session id, $4 protocol, $5 detail (json)
INSERT INTO participant_txn (txn_id, state, token, session_id, protocol, detail)
VALUES ($1, 'committed', $2, $3, $4, $5::jsonb)
ON CONFLICT (txn_id) DO NOTHING
RETURNING txn_id,
          pg_backend_pid() AS pid,
          (pg_current_xact_id()::text::numeric % 4294967296)::bigint::text AS xid
