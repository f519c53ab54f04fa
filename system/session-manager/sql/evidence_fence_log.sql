-- Evidence for the rig: every raise of the fence, with the database's time (ms, to the microsecond).
SELECT epoch, extract(epoch FROM raised_at) * 1000 AS raised_ms FROM fence_log
