-- Radio cells: a session reserves one channel in each cell it names. No CHECK (used <= capacity): the
-- reservation statement keeps it, and the conservation checker must be able to see an over-booked cell if that
-- ever fails.
CREATE TABLE cells (
  id       text PRIMARY KEY,
  capacity integer NOT NULL CHECK (capacity >= 0),
  used     integer NOT NULL DEFAULT 0 CHECK (used >= 0)
);
