-- jans-rs schema version 4: scopes (Janssen's jansScope entries), by scope value. Seeded with
-- the default scopes by the first node that starts on an empty table (jans migrate).

CREATE TABLE jans_scope (
    id  text PRIMARY KEY,
    doc jsonb NOT NULL
);
