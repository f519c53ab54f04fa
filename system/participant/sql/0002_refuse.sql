-- A prepare's statements are sent together, in one write (store.ts): the txn row's insert, the domain's
-- reservations, PREPARE TRANSACTION. A statement that cannot do its part raises through this function instead of
-- returning no row, so PostgreSQL skips what follows in the failed transaction and PREPARE TRANSACTION becomes a
-- ROLLBACK. SQLSTATE RGV01 (class RG is session-rig's own); the message is the reason: 'existing' for a txn that is
-- not new, else the no vote's reason (contract.ts VoteNoReason). Volatile, so it runs only where it is reached.
CREATE FUNCTION participant_refuse(reason text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'RGV01', MESSAGE = reason;
END
$$;
