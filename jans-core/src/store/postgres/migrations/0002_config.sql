-- jans-rs schema version 2: the server configuration shared by every node (Janssen keeps it
-- in jansConfDyn). revision increases with every write; writers compare and set it.
CREATE TABLE jans_config (
    id       text PRIMARY KEY,
    revision bigint NOT NULL,
    doc      jsonb  NOT NULL
);
