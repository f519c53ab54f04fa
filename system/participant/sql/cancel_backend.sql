-- Cancels the statement a deadlock victim's prepare is waiting in, only while that backend still runs the victim's
-- transaction (pooled connections move on to other transactions). $1 pid, $2 transaction id (32-bit, as text)
SELECT pg_cancel_backend(pid) AS cancelled
FROM pg_stat_activity
WHERE pid = $1 AND backend_xid::text = $2
