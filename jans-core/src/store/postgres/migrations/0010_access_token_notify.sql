-- jans-rs schema version 10: tell every node when an access token changes or goes (revoked,
-- its grant family ended, replaced), whoever writes, on the channel the document cache
-- listens to (migration 8): NOTIFY jans_document, '["jans_grant.<kind>","<key>"]'. Each
-- node may then keep the access tokens it checks (store/postgres/doc_cache.rs). Expired
-- tokens swept are announced too: a node's clock may lag the sweeper's.
CREATE FUNCTION jans_grant_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('jans_document', json_build_array('jans_grant.' || OLD.kind, OLD.key)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER jans_grant_changed
    AFTER UPDATE OR DELETE ON jans_grant
    FOR EACH ROW
    WHEN (OLD.kind = 1)
    EXECUTE FUNCTION jans_grant_notify();
