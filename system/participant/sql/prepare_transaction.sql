-- Ends the prepare's transaction: its changes and row locks are kept, durably, under :gid, which is substituted
-- (gids are restricted to characters that need no quoting). Sent as a plain statement: a prepared statement per
-- gid would be a new named statement on the connection for every transaction.
PREPARE TRANSACTION ':gid'
