-- Evidence for the rig: every transaction still prepared in this database (gid `<node>:<txnId>`), when it was
-- prepared, and its pre-commit record if it has one (3PC), which carries the token it was written under.
SELECT x.gid, x.prepared, p.token AS precommit_token, p.recorded_at AS precommitted_at
FROM pg_prepared_xacts x
LEFT JOIN participant_precommit p ON p.txn_id = substr(x.gid, strpos(x.gid, ':') + 1)
WHERE x.database = current_database()
