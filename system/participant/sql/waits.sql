-- Wait-for edges in this database: every backend waiting for a lock, with each backend blocking it. An in-progress
-- blocker is named by its pid and transaction id; a prepared transaction blocks as pid 0 (pg_blocking_pids), so it
-- is named by its gid, found through the transaction id lock the waiter is queued on. waited_ms by the DB clock.
SELECT w.pid AS waiter_pid,
       w.backend_xid::text AS waiter_xid,
       b.pid AS blocker_pid,
       bs.backend_xid::text AS blocker_xid,
       px.gid AS blocker_gid,
       (extract(epoch FROM now() - l.waitstart) * 1000)::float8 AS waited_ms
FROM pg_stat_activity w
JOIN pg_locks l ON l.pid = w.pid AND NOT l.granted
CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS b(pid)
LEFT JOIN pg_stat_activity bs ON b.pid <> 0 AND bs.pid = b.pid
LEFT JOIN pg_prepared_xacts px
  ON b.pid = 0 AND px.database = current_database()
 AND l.locktype = 'transactionid' AND px.transaction = l.transactionid
WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
