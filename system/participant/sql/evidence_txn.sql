-- Evidence for the rig: every transaction with a durable outcome here, with the token it was written under and the
-- database's time of the write.
SELECT txn_id, state, token, recorded_at FROM participant_txn
