-- jans-rs schema version 7: the document primitive (DESIGN.md §4). Collections of JSON
-- documents by id with a revision for compare-and-set, and their unique secondary keys, so
-- a new aggregate needs no table of its own. Bodies are text, like every document here
-- (JSON may hold "\u0000", which jsonb refuses).
CREATE TABLE jans_document (
    collection text   NOT NULL,
    id         text   COLLATE "C" NOT NULL,
    revision   bigint NOT NULL,
    body       text   NOT NULL,
    PRIMARY KEY (collection, id)
);

CREATE TABLE jans_document_key (
    collection text NOT NULL,
    name       text NOT NULL,
    value      text NOT NULL,
    id         text COLLATE "C" NOT NULL,
    PRIMARY KEY (collection, name, value),
    FOREIGN KEY (collection, id) REFERENCES jans_document (collection, id) ON DELETE CASCADE
);
CREATE INDEX jans_document_key_owner ON jans_document_key (collection, id);
