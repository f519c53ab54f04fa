-- Credit a released session was charged (docs/api.md, the billing rule): a release moves the session's held credit
-- here, never back to the balance. balance + held + charged stays at the seeded total.
ALTER TABLE accounts ADD COLUMN charged bigint NOT NULL DEFAULT 0 CHECK (charged >= 0);
