-- First start only: cell-1 .. cell-$1, each with capacity $2. Does nothing once any cell exists.
INSERT INTO cells (id, capacity, used)
SELECT 'cell-' || i, $2::integer, 0
FROM generate_series(1, $1::integer) AS i
WHERE NOT EXISTS (SELECT 1 FROM cells)
ON CONFLICT (id) DO NOTHING
