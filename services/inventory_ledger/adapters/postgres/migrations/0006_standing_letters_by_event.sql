-- A cured parked event marks its standing dead letters replayed by event id
-- (DEAD_LETTERS_CURED, in the batch that applies it). Without an index that was a scan of
-- every dead letter ever written, once per curing batch. Only standing letters are indexed:
-- replayed ones are never looked up by event again.
CREATE INDEX dead_letters_standing_event ON dead_letters (event_id) WHERE replayed_at IS NULL;
