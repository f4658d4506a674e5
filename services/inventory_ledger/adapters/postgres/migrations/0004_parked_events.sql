-- Parked events: rejected on a serial rule that a not-yet-seen event can cure (a shipment of a
-- serial whose receipt arrives later on another topic). They are dead-lettered with their reason
-- and kept here, encoded like cost_events, with the serials they name ('location/lic#serial'); a
-- batch that moves one of those serials retries them, and on success deletes the row and sets
-- replayed_at on the event's dead letters. See application/apply_batch.py (CURABLE).
-- Runs as the owner role; the application role's name comes from current_setting('inventory.app_role').

CREATE TABLE parked_events (
    event_id  text        PRIMARY KEY,
    event     text        NOT NULL,
    serials   text[]      NOT NULL,
    reason    text        NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX parked_events_serials ON parked_events USING gin (serials);

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON parked_events TO %I', app);
END $$;
