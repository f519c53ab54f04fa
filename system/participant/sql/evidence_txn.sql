-- Evidence for the rig: every transaction with a durable outcome here, with the token it was written under, the
-- database's time of the write, and what its prepare recorded of the request (detail: null on a tombstone).
SELECT txn_id, state, token, recorded_at, detail FROM participant_txn
