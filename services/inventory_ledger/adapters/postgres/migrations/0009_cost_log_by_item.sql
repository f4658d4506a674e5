-- The cost log by item: which log entries name each item. A process keeps only the last
-- steps of an item's allocation history in memory (CostLedger.compact); an event that reaches
-- further back makes it read the item's entries and rebuild the item from them
-- (CostLedger.restore). The rows are derived from the logged text by the database itself: an
-- item is a [lic, location] pair under a key "item" anywhere in an event
-- (application/event_codec.py), and an over-reach is harmless (restore skips an entry that
-- posts nothing to the item). A statement trigger fills them as a batch appends to the log,
-- and the log written before this migration is indexed here.

CREATE TABLE cost_event_items (
    lic      text   NOT NULL,
    location text   NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (lic, location, position)
);

CREATE FUNCTION cost_event_items_of(p_event text)
RETURNS TABLE (lic text, location text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT i ->> 0, i ->> 1
    FROM jsonb_path_query(p_event::jsonb, 'strict $.**.item ? (@.size() == 2)') AS i
$$;

CREATE FUNCTION cost_events_index_items() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO cost_event_items (lic, location, position)
    SELECT i.lic, i.location, n.position FROM logged n, cost_event_items_of(n.event) AS i;
    RETURN NULL;
END $$;

CREATE TRIGGER cost_events_by_item AFTER INSERT ON cost_events
    REFERENCING NEW TABLE AS logged
    FOR EACH STATEMENT EXECUTE FUNCTION cost_events_index_items();

INSERT INTO cost_event_items (lic, location, position)
SELECT i.lic, i.location, e.position FROM cost_events e, cost_event_items_of(e.event) AS i;

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON cost_event_items TO %I', app);
END $$;

REVOKE ALL ON FUNCTION cost_event_items_of(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION cost_events_index_items() FROM PUBLIC;
DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION cost_event_items_of(text) TO %I', app);
END $$;
