-- A batch makes sure its documents and items have rows, then locks them: two statements, and
-- the second must see what the first inserted (or waited for), so they cannot be one statement.
-- Each was a round trip; these functions run both in one. In a VOLATILE plpgsql function each
-- statement takes a new snapshot, so the lock sees a row another batch inserted while the
-- INSERT waited for it, exactly as two statements from the client did. Both go in the
-- caller's order (the global lock order). They run with the caller's rights.

CREATE FUNCTION lock_document_states(kinds text[], ids text[])
RETURNS TABLE (document_kind text, document_id text, state text)
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO document_states (document_kind, document_id)
    SELECT k, d FROM unnest(kinds, ids) WITH ORDINALITY AS t(k, d, n) ORDER BY n
    ON CONFLICT DO NOTHING;
    RETURN QUERY
    SELECT s.document_kind, s.document_id, s.state::text
    FROM document_states s
    JOIN unnest(kinds, ids) AS t(k, d) ON (s.document_kind, s.document_id) = (t.k, t.d)
    ORDER BY s.document_kind, s.document_id
    FOR UPDATE OF s;
END $$;

CREATE FUNCTION lock_balances(locations text[], lics text[])
RETURNS TABLE (location text, lic text, on_hand numeric, on_order numeric, demand numeric,
               version bigint)
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO balances (location, lic)
    SELECT l, c FROM unnest(locations, lics) WITH ORDINALITY AS t(l, c, n) ORDER BY n
    ON CONFLICT DO NOTHING;
    RETURN QUERY
    SELECT b.location, b.lic, b.on_hand::numeric, b.on_order::numeric, b.demand::numeric,
           b.version
    FROM balances b
    JOIN unnest(locations, lics) AS t(l, c) ON (b.location, b.lic) = (t.l, t.c)
    ORDER BY b.location, b.lic
    FOR UPDATE OF b;
END $$;

REVOKE ALL ON FUNCTION lock_document_states(text[], text[]), lock_balances(text[], text[])
    FROM PUBLIC;
DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format(
        'GRANT EXECUTE ON FUNCTION lock_document_states(text[], text[]), '
        'lock_balances(text[], text[]) TO %I', app);
END $$;
