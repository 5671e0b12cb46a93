-- jans-rs schema version 3: tell every node when a client changes, so each may cache clients
-- (NOTIFY jans_client, '<client_id>' on insert, update and delete, whoever writes).
CREATE FUNCTION jans_client_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('jans_client', OLD.client_id);
    ELSE
        PERFORM pg_notify('jans_client', NEW.client_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jans_client_changed
    AFTER INSERT OR UPDATE OR DELETE ON jans_client
    FOR EACH ROW EXECUTE FUNCTION jans_client_notify();
