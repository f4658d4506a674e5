-- Cheaper cost writes (issue 6: a batch rewrites the lots and usages its events changed).
--
-- * lots_open goes: no query uses it (the lot page filters by a parameter the planner cannot
--   match to the partial index's predicate; an item's cost layers use lots_item), and because
--   its predicate reads remaining_qty, every lot update changed an "indexed" column, so no lot
--   update could be HOT. Without it a lot update that keeps its item (all of them) is HOT when
--   its page has room; fillfactor leaves that room.
-- * cost_events' UNIQUE (event_id) goes: an event reaches the cost log only in the batch that
--   claims it in processed_events (primary key event_id, same transaction), so the claim
--   already refuses a second entry for an event; a plain btree would only serve lookups by
--   event, and none are made.
DROP INDEX lots_open;
ALTER TABLE lots SET (fillfactor = 80);
ALTER TABLE cost_events DROP CONSTRAINT cost_events_event_id_key;
