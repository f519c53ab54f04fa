-- Gives back one channel in cell $1 (a modify's old cells, a release), taking the row lock. Raises
-- (participant_refuse) 'nothing_held' when the cell has no channel in use and 'unknown_cell' when there is no
-- such cell.
WITH released AS (UPDATE cells SET used = used - 1 WHERE id = $1 AND used > 0 RETURNING id)
SELECT CASE WHEN EXISTS (SELECT 1 FROM released) THEN $1::text
            WHEN EXISTS (SELECT 1 FROM cells WHERE id = $1) THEN participant_refuse('nothing_held')
            ELSE participant_refuse('unknown_cell') END AS id
