-- One channel in cell $1, taking the row lock (waits up to lock_timeout behind other holders). Raises
-- (participant_refuse) 'no_capacity' when the cell is full and 'unknown_cell' when there is no such cell.
WITH reserved AS (UPDATE cells SET used = used + 1 WHERE id = $1 AND used < capacity RETURNING id)
SELECT CASE WHEN EXISTS (SELECT 1 FROM reserved) THEN $1::text
            WHEN EXISTS (SELECT 1 FROM cells WHERE id = $1) THEN participant_refuse('no_capacity')
            ELSE participant_refuse('unknown_cell') END AS id
