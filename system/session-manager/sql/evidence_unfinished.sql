-- Evidence for the rig: how much of the log is unfinished (transactions not closed, decided events not yet appended).
SELECT (SELECT count(*)::int FROM txn WHERE closed_at IS NULL) AS open,
       (SELECT count(*)::int FROM outbox WHERE sent_at IS NULL) AS unsent
