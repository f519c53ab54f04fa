-- One channel in cell $1, taking the row lock (waits up to lock_timeout behind other holders). No row back: the
-- cell is full or does not exist.
UPDATE cells SET used = used + 1 WHERE id = $1 AND used < capacity RETURNING id
