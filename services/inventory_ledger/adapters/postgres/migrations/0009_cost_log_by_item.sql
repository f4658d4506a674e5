-- The cost log by item: which log entries touch each item. A process keeps only the last
-- steps of an item's allocation history in memory (CostLedger.compact); an event that reaches
-- further back makes it read the item's entries and rebuild the item from them
-- (CostLedger.restore). A batch writes the rows with its log entries: the items each event's
-- cost facts touched. The log written before this migration is indexed here from its text:
-- an item is a [lic, location] pair under a key "item" anywhere in an event
-- (application/event_codec.py). That names at least the items its facts touch (they come
-- from the event), and an extra one is harmless (restore skips an entry that posts nothing
-- to the item).

CREATE TABLE cost_event_items (
    lic      text   NOT NULL,
    location text   NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (lic, location, position)
);

INSERT INTO cost_event_items (lic, location, position)
SELECT DISTINCT i ->> 0, i ->> 1, e.position
FROM cost_events e,
     jsonb_path_query(e.event::jsonb, 'strict $.**.item ? (@.size() == 2)') AS i;

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON cost_event_items TO %I', app);
END $$;
