-- Every new API key is announced to every instance when its transaction
-- commits, whichever way it was inserted (console, admin API, CLI, first-start
-- seed with INIT_API_KEY, plain SQL). Instances keep the set of issued key
-- prefixes in memory and refuse a key whose prefix is not in it without a
-- database read (lib/auth/api-keys.ts), so an insert must never go unannounced.
-- Channel and payload format are lib/db/notify.ts's: "<topic>:<payload>".
CREATE FUNCTION api_key_created_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('promptgate_invalidate', 'apikeys.created:' || NEW.prefix);
    RETURN NULL;
END;
$fn$;

CREATE TRIGGER "ApiKey_created_notify"
    AFTER INSERT ON "ApiKey"
    FOR EACH ROW EXECUTE FUNCTION api_key_created_notify();
