-- Evidence for the rig: every cell's capacity and the channels committed sessions use.
SELECT id, capacity, used FROM cells ORDER BY id
