-- jans-rs schema version 8: clients, signing keys, users, scopes, the shared configuration
-- and the facts about the installation become documents of jans_document (DESIGN.md §4:
-- two storage primitives, typed repositories over them). Collections and unique keys are
-- named as jans_core::repo names them; revisions start at 1, except the configuration's,
-- which keeps its own. The tables they came from are dropped, and the notification that
-- kept each node's client cache right now covers every document.
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'clients', client_id, 1, doc FROM jans_client;
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'keys', kid, 1, doc FROM jans_key;
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'scopes', id, 1, doc FROM jans_scope;
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'users', inum, 1, doc FROM jans_user;
INSERT INTO jans_document_key (collection, name, value, id)
    SELECT 'users', 'uid', uid_key, inum FROM jans_user;
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'config', id, revision, doc FROM jans_config;
INSERT INTO jans_document (collection, id, revision, body)
    SELECT 'meta', name, 1, json_build_object('value', value)::text FROM jans_meta;

DROP TRIGGER jans_client_changed ON jans_client;
DROP FUNCTION jans_client_notify();
DROP TABLE jans_client, jans_key, jans_scope, jans_user, jans_config, jans_meta;

-- NOTIFY jans_document, '["<collection>","<id>"]' on every change, whoever writes: each
-- node drops that document from its cache.
CREATE FUNCTION jans_document_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('jans_document', json_build_array(OLD.collection, OLD.id)::text);
    ELSE
        PERFORM pg_notify('jans_document', json_build_array(NEW.collection, NEW.id)::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jans_document_changed
    AFTER INSERT OR UPDATE OR DELETE ON jans_document
    FOR EACH ROW EXECUTE FUNCTION jans_document_notify();
