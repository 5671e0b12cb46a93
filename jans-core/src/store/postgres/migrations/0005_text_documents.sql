-- jans-rs schema version 5: documents as text, not jsonb. JSON allows "\u0000" in strings and
-- jsonb refuses it, so a NUL sent in a parameter (a nonce, a client name) made the write fail;
-- no query reads inside a document, and text also spares the server a parse per write.

ALTER TABLE jans_client ALTER COLUMN doc TYPE text USING doc::text;
ALTER TABLE jans_key    ALTER COLUMN doc TYPE text USING doc::text;
ALTER TABLE jans_user   ALTER COLUMN doc TYPE text USING doc::text;
ALTER TABLE jans_grant  ALTER COLUMN doc TYPE text USING doc::text;
ALTER TABLE jans_config ALTER COLUMN doc TYPE text USING doc::text;
ALTER TABLE jans_scope  ALTER COLUMN doc TYPE text USING doc::text;
