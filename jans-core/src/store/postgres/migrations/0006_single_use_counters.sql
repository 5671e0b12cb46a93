-- jans-rs schema version 6.
-- A taken code or refresh token stays as a tombstone (used) until it expires, marked in the
-- same statement that takes it, so a second presentation learns "already used" atomically
-- and can revoke what the first one issued (DESIGN.md §4). Counters (failed logins) are
-- incremented in one statement. Both columns have constant defaults: adding them does not
-- rewrite the table.
ALTER TABLE jans_grant ADD COLUMN used boolean NOT NULL DEFAULT false;
ALTER TABLE jans_grant ADD COLUMN counter bigint NOT NULL DEFAULT 0;

-- Facts about the installation itself: the check value of the master key the database was
-- initialized with, so a node started with another key says so at once.
CREATE TABLE jans_meta (
    name  text PRIMARY KEY,
    value text NOT NULL
);
