-- A batch begins with three reads: lock the cost log head (the first lock it takes, so the
-- global lock order stays acyclic), read the claims of its events, and read the parked events
-- that its serials may cure. They were three round trips; begin_batch runs them in one. Each
-- statement of a volatile plpgsql function takes its own snapshot, so the reads after the
-- lock see what the batch that held it committed, as separate statements from the client did.
-- The parked events cannot change while the head is held: only a batch holding it parks or
-- cures one. Runs with the caller's rights.

CREATE FUNCTION begin_batch(p_event_ids text[], p_lock_head boolean, p_serials text[])
RETURNS TABLE (head bigint, claimed text[], hashes bytea[], parked text[])
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
DECLARE
    v_head bigint;
BEGIN
    IF p_lock_head THEN
        SELECT s.position INTO v_head FROM cost_state s WHERE s.singleton FOR UPDATE;
    END IF;
    RETURN QUERY
    SELECT v_head,
           coalesce(array_agg(p.event_id ORDER BY p.event_id), '{}'),
           coalesce(array_agg(p.payload_hash ORDER BY p.event_id), '{}'),
           CASE WHEN cardinality(p_serials) = 0 THEN '{}'::text[] ELSE
               ARRAY(SELECT e.event FROM parked_events e
                     WHERE e.serials && p_serials ORDER BY e.event_id) END
    FROM processed_events p
    WHERE p.event_id = ANY(p_event_ids);
END $$;

REVOKE ALL ON FUNCTION begin_batch(text[], boolean, text[]) FROM PUBLIC;
DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION begin_batch(text[], boolean, text[]) TO %I', app);
END $$;
