-- Subscriber accounts: a session holds credit (balance moves to held). No CHECK (balance >= 0): the hold
-- statement keeps it, and the conservation checker must be able to see a negative balance if that ever fails.
CREATE TABLE accounts (
  id      text PRIMARY KEY,
  balance bigint NOT NULL,
  held    bigint NOT NULL DEFAULT 0 CHECK (held >= 0)
);
