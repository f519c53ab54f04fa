-- Evidence for the rig: how many transactions are prepared in this database (pg_prepared_xacts is the server's).
SELECT count(*)::int AS n FROM pg_prepared_xacts WHERE database = current_database()
