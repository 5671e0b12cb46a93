-- jans-rs schema version 9: index keys of documents (DESIGN.md §4), which many documents may
-- share (every email of a person, the members of a group), for the query hook's
-- parameterized SQL. Values compare bytewise (COLLATE "C"), as sled and the memory backend
-- compare them, so a range (`>`, a prefix) answers the same on every backend; the unique
-- keys' values follow, their index rebuilt in the same order.
ALTER TABLE jans_document_key ALTER COLUMN value TYPE text COLLATE "C";

CREATE TABLE jans_document_index (
    collection text NOT NULL,
    name       text NOT NULL,
    value      text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    PRIMARY KEY (collection, name, value, id),
    FOREIGN KEY (collection, id) REFERENCES jans_document (collection, id) ON DELETE CASCADE
);
CREATE INDEX jans_document_index_owner ON jans_document_index (collection, id);
