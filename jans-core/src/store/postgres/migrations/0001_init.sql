-- jans-rs schema version 1: every store of the engine. Records are the same JSON the sled
-- backend writes, in jsonb; the columns beside them are what queries filter on.

CREATE TABLE jans_client (
    client_id text PRIMARY KEY,
    doc       jsonb NOT NULL
);

CREATE TABLE jans_key (
    kid text PRIMARY KEY,
    doc jsonb NOT NULL
);

-- People; uid_key is the lowercased login name, unique (logins are case-insensitive).
CREATE TABLE jans_user (
    inum    text PRIMARY KEY,
    uid_key text NOT NULL UNIQUE,
    doc     jsonb NOT NULL
);

-- Short-lived grant state: tokens, codes, sessions, one-time identifiers. kind is
-- jans_core::store::GrantKind's tag; key the SHA-256 (base64url) of the bearer value.
CREATE TABLE jans_grant (
    kind       smallint NOT NULL,
    key        text     NOT NULL,
    family     text     NOT NULL,
    expires_at bigint   NOT NULL,
    doc        jsonb    NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX jans_grant_family ON jans_grant (family) WHERE family <> '';
CREATE INDEX jans_grant_expires_at ON jans_grant (expires_at);
