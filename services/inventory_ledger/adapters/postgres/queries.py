"""All SQL of the service, as named constants with ``$n`` parameters. Nothing else builds SQL."""

from __future__ import annotations

__all__ = [
    "CREATE_MIGRATIONS_TABLE",
    "DEAD_LETTERS_LIST",
    "DEAD_LETTERS_MARK_PUBLISHED",
    "DEAD_LETTERS_MARK_REPLAYED",
    "DEAD_LETTERS_RECORD",
    "DEAD_LETTERS_UNPUBLISHED",
    "MIGRATION_GET",
    "MIGRATION_LOCK",
    "MIGRATION_RECORD",
    "MIGRATION_UNLOCK",
    "OUTBOX_MARK_PUBLISHED",
    "OUTBOX_RELAY_TRY_LOCK",
    "OUTBOX_RELAY_UNLOCK",
    "OUTBOX_UNPUBLISHED",
    "READINESS_PING",
    "TRANSACTIONS_PAGE",
]

# --- migrations -------------------------------------------------------------------------------
CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer     PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""
MIGRATION_LOCK = "SELECT pg_advisory_lock(7302519001)"
MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(7302519001)"
MIGRATION_GET = "SELECT name, checksum FROM schema_migrations WHERE version = $1"
MIGRATION_RECORD = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"

# --- outbox relay -----------------------------------------------------------------------------
# One active relay per database: a session advisory lock, released when its connection drops.
OUTBOX_RELAY_TRY_LOCK = "SELECT pg_try_advisory_lock(7302519002)"
OUTBOX_RELAY_UNLOCK = "SELECT pg_advisory_unlock(7302519002)"
# By the flag, never by an id cursor: a lower id may commit after a higher one (reliability.md 3).
# Id order is version order per key (versions are assigned under the item's row lock).
OUTBOX_UNPUBLISHED = """
SELECT id, event_id, location, lic, version, payload::text AS payload
FROM outbox
WHERE published_at IS NULL
ORDER BY id
LIMIT $1"""
OUTBOX_MARK_PUBLISHED = """
UPDATE outbox SET published_at = now()
WHERE id = ANY($1::bigint[]) AND published_at IS NULL"""

# --- dead letters -----------------------------------------------------------------------------
# $6 is text[] of JSON arrays ([{"key", "value": base64|null}]); a redelivered message is a no-op.
DEAD_LETTERS_RECORD = """
INSERT INTO dead_letters (source_topic, source_partition, source_offset, key, value, headers,
                          reason, message, event_id, event_type)
SELECT t.source_topic, t.source_partition, t.source_offset, t.key, t.value, t.headers::jsonb,
       t.reason, t.message, t.event_id, t.event_type
FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bytea[], $5::bytea[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::text[])
     AS t(source_topic, source_partition, source_offset, key, value, headers,
          reason, message, event_id, event_type)
ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
RETURNING id"""
_DEAD_LETTER_COLUMNS = """id, source_topic, source_partition, source_offset, key, value,
       headers::text AS headers, reason, message, event_id, event_type, created_at,
       published_at, replayed_at"""
DEAD_LETTERS_LIST = f"""
SELECT {_DEAD_LETTER_COLUMNS}
FROM dead_letters
WHERE ($2::text IS NULL OR reason = $2)
ORDER BY id
LIMIT $1"""
DEAD_LETTERS_UNPUBLISHED = f"""
SELECT {_DEAD_LETTER_COLUMNS}
FROM dead_letters
WHERE published_at IS NULL
ORDER BY id
LIMIT $1"""
# Relay scans with held keys left out (without held keys the plain queries.py scans run).
# An outbox row's Kafka key is `{location}/{lic}`, so the key is compared as that text.
OUTBOX_UNPUBLISHED_EXCEPT_KEYS = """
SELECT id, event_id, location, lic, version, payload::text AS payload
FROM outbox
WHERE published_at IS NULL
  AND NOT (location || '/' || lic = ANY($2::text[]))
ORDER BY id
LIMIT $1"""
# $2: the held non-null keys; $3: whether keyless dead letters are held too.
DEAD_LETTERS_UNPUBLISHED_EXCEPT_KEYS = f"""
SELECT {_DEAD_LETTER_COLUMNS}
FROM dead_letters
WHERE published_at IS NULL
  AND NOT coalesce(key = ANY($2::bytea[]), false)
  AND NOT (key IS NULL AND $3::boolean)
ORDER BY id
LIMIT $1"""
# Both updates of standing letters lock their rows in id order (a batch's DEAD_LETTERS_CURED
# and the relay's mark, which meet on a letter cured while it is being published): in the
# orders their scans gave, two instances deadlocked now and then.
DEAD_LETTERS_MARK_PUBLISHED = """
UPDATE dead_letters SET published_at = now()
WHERE id IN (SELECT id FROM dead_letters
             WHERE id = ANY($1::bigint[]) AND published_at IS NULL
             ORDER BY id FOR UPDATE)"""
DEAD_LETTERS_MARK_REPLAYED = """
UPDATE dead_letters SET replayed_at = now()
WHERE id = ANY($1::bigint[]) AND replayed_at IS NULL
RETURNING id"""

# --- ledger unit of work ----------------------------------------------------------------------
# A batch's first reads, in one round trip (migration 0008): the cost log head locked (when $2),
# the claims of its events, the parked events naming its serials ($3).
BATCH_BEGIN = "SELECT * FROM begin_batch($1::text[], $2::boolean, $3::text[])"
# No ON CONFLICT (its speculative insertion costs a third more per row): an event claimed by a
# concurrent batch is a unique violation, after waiting for that batch like ON CONFLICT would,
# and the store redoes the whole batch.
CLAIM_EVENTS = """
INSERT INTO processed_events (event_id, event_type, payload_hash, occurred_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::timestamptz[])"""
# Placeholder rows first, so a document or item nobody has seen yet can be locked too, then the
# lock, in the caller's sorted order (the global lock order): both in one round trip, in a
# function (migration 0007: the lock must see what the insert waited for, so not one statement).
DOCUMENTS_LOCK = "SELECT * FROM lock_document_states($1::text[], $2::text[])"
DOCUMENTS_SAVE = """
UPDATE document_states s SET state = t.state::jsonb, updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, d, state)
WHERE (s.document_kind, s.document_id) = (t.k, t.d)"""
BALANCES_LOCK = "SELECT * FROM lock_balances($1::text[], $2::text[])"
BALANCES_SAVE = """
UPDATE balances b
SET on_hand = t.on_hand, on_order = t.on_order, demand = t.demand, version = t.version,
    occurred_at = GREATEST(b.occurred_at, t.occurred_at), updated_at = now()
FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::numeric[],
            $6::bigint[], $7::timestamptz[])
     AS t(location, lic, on_hand, on_order, demand, version, occurred_at)
WHERE (b.location, b.lic) = (t.location, t.lic)"""
OUTBOX_ADD = """
INSERT INTO outbox (event_id, location, lic, version, payload)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[])"""
# A small batch's transactions go with its other closing writes (one statement, no round trip
# of their own); a large one's by COPY (two round trips, cheaper per row): store.COPY_FROM.
TRANSACTIONS_ADD = """
INSERT INTO transactions (lic, location, bucket, qty, occurred_at, event_id, document,
                          document_line, mfr_lot)
SELECT r->>0, r->>1, r->>2, (r->>3)::numeric, (r->>4)::timestamptz, r->>5, r->>6, r->>7, r->>8
FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(r, n)
ORDER BY n"""
TRANSACTION_COLUMNS = (
    "lic",
    "location",
    "bucket",
    "qty",
    "occurred_at",
    "event_id",
    "document",
    "document_line",
    "mfr_lot",
)

# --- ledger reads: balances, as-of balances, reconciliation --------------------------------
BALANCES_CURRENT = """
SELECT location, lic, on_hand, on_order, demand, version
FROM balances
WHERE ($1::text IS NULL OR lic = $1) AND ($2::text IS NULL OR location = $2)
  AND version > 0
ORDER BY location, lic"""
BALANCES_AS_OF = """
SELECT location, lic,
       coalesce(sum(qty) FILTER (WHERE bucket = 'on_hand'), 0)  AS on_hand,
       coalesce(sum(qty) FILTER (WHERE bucket = 'on_order'), 0) AS on_order,
       coalesce(sum(qty) FILTER (WHERE bucket = 'demand'), 0)   AS demand
FROM transactions
WHERE occurred_at <= $3
  AND ($1::text IS NULL OR lic = $1) AND ($2::text IS NULL OR location = $2)
GROUP BY location, lic
ORDER BY location, lic"""
OUTBOX_BACKLOG = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
LEDGER_COUNTS = """
SELECT (SELECT count(*) FROM processed_events) AS processed,
       (SELECT count(*) FROM transactions) AS transactions,
       (SELECT count(*) FROM outbox WHERE published_at IS NOT NULL) AS outbox_published,
       (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS outbox_pending,
       (SELECT count(*) FROM dead_letters WHERE published_at IS NULL) AS dead_letters_pending"""
# Standing letters per reason, and how many of each were replayed or cured since (a parked
# serial event applied once its story held).
DEAD_LETTER_COUNTS = """
SELECT reason, count(*) FILTER (WHERE replayed_at IS NULL) AS n,
       count(*) FILTER (WHERE replayed_at IS NOT NULL) AS replayed
FROM dead_letters GROUP BY reason ORDER BY reason"""
RECONCILE_BALANCES = """
WITH sums AS (
    SELECT location, lic,
           coalesce(sum(qty) FILTER (WHERE bucket = 'on_hand'), 0)  AS on_hand,
           coalesce(sum(qty) FILTER (WHERE bucket = 'on_order'), 0) AS on_order,
           coalesce(sum(qty) FILTER (WHERE bucket = 'demand'), 0)   AS demand
    FROM transactions
    GROUP BY location, lic
)
SELECT coalesce(b.location, s.location) AS location, coalesce(b.lic, s.lic) AS lic,
       coalesce(b.on_hand, 0) AS balance_on_hand, coalesce(s.on_hand, 0) AS txn_on_hand,
       coalesce(b.on_order, 0) AS balance_on_order, coalesce(s.on_order, 0) AS txn_on_order,
       coalesce(b.demand, 0) AS balance_demand, coalesce(s.demand, 0) AS txn_demand,
       (coalesce(b.on_hand, 0) <> coalesce(s.on_hand, 0)
        OR coalesce(b.on_order, 0) <> coalesce(s.on_order, 0)
        OR coalesce(b.demand, 0) <> coalesce(s.demand, 0)) AS mismatch
FROM balances b
FULL JOIN sums s ON (b.location, b.lic) = (s.location, s.lic)
ORDER BY 1, 2"""

# --- http/cli reads ---------------------------------------------------------------------------
# A page of ledger lines in id (recording) order after the keyset cursor $1; filters are optional
# ($n IS NULL); `since` is inclusive and `until` exclusive, both business time (occurred_at).
TRANSACTIONS_PAGE = """
SELECT id, lic, location, bucket, qty, occurred_at, event_id, document, document_line, mfr_lot
FROM transactions
WHERE id > $1
  AND ($2::text IS NULL OR lic = $2) AND ($3::text IS NULL OR location = $3)
  AND ($4::timestamptz IS NULL OR occurred_at >= $4)
  AND ($5::timestamptz IS NULL OR occurred_at < $5)
ORDER BY id
LIMIT $6"""
READINESS_PING = "SELECT 1"

# --- dead-letter replay ---------------------------------------------------------------------
DEAD_LETTERS_TO_REPLAY = """
SELECT id FROM dead_letters
WHERE replayed_at IS NULL
  AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
  AND ($2::text IS NULL OR reason = $2)
ORDER BY id
LIMIT $3"""
DEAD_LETTERS_BY_ID = f"""
SELECT {_DEAD_LETTER_COLUMNS}
FROM dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id"""

# --- cost side (issue 6) ----------------------------------------------------------------------
# The cost log's head is locked first in a batch (BATCH_BEGIN, before documents and items), so
# cost work is serialized between instances and the global lock order stays acyclic.
COST_LOG_AFTER = """
SELECT event FROM cost_events
WHERE position > $1
ORDER BY position
LIMIT $2"""
# An item's logged events up to a position (migration 0009 indexes the log by item), to
# rebuild an item whose old history the process dropped (CostLedger.restore).
COST_LOG_BY_ITEM = """
SELECT i.lic, i.location, e.event
FROM unnest($1::text[], $2::text[]) AS w(lic, location)
JOIN cost_event_items i ON i.lic = w.lic AND i.location = w.location AND i.position <= $3
JOIN cost_events e ON e.position = i.position
ORDER BY i.lic, i.location, i.position"""
COST_LOG_ITEMS = """
INSERT INTO cost_event_items (lic, location, position)
SELECT r->>0, r->>1, (r->>2)::bigint
FROM jsonb_array_elements($1::jsonb) AS r"""
COST_LOG_APPEND = """
INSERT INTO cost_events (position, event_id, event)
SELECT $1::bigint + t.n, t.event_id, t.event
FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(event_id, event, n)"""
COST_LOG_MOVE_HEAD = """
UPDATE cost_state SET position = $2 WHERE singleton AND position = $1 RETURNING position"""
# The cost rows of a batch go as one jsonb array of positional rows ($1): asyncpg encodes an
# array parameter element by element with abstract-class checks (about 9 µs of client CPU per
# 12-column row), orjson writes the whole array in about 1.5 µs per row, and the server reads
# it faster too (bench/apply_throughput.py measures the unit of work with cost tracking).
LOTS_SAVE = """
INSERT INTO lots AS l (lot_id, kind, location, lic, document, document_line, mfr_lot, qty,
                       allocated_qty, unit_cost, cost_status, received_at)
SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::numeric, (r->>8)::numeric,
       (r->>9)::numeric, r->>10, (r->>11)::timestamptz
FROM jsonb_array_elements($1::jsonb) AS r
ON CONFLICT (lot_id) DO UPDATE SET
    mfr_lot = EXCLUDED.mfr_lot, qty = EXCLUDED.qty, allocated_qty = EXCLUDED.allocated_qty,
    unit_cost = EXCLUDED.unit_cost, cost_status = EXCLUDED.cost_status,
    received_at = EXCLUDED.received_at"""
LOTS_DELETE = "DELETE FROM lots WHERE lot_id = ANY($1::text[])"
USAGES_SAVE = """
INSERT INTO usages AS u (usage_id, kind, location, lic, document, document_line, mfr_lot, qty,
                         returned_qty, allocated_qty, cogs, occurred_at)
SELECT r->>0, r->>1, r->>2, r->>3, r->>4, r->>5, r->>6, (r->>7)::numeric, (r->>8)::numeric,
       (r->>9)::numeric, (r->>10)::numeric, (r->>11)::timestamptz
FROM jsonb_array_elements($1::jsonb) AS r
ON CONFLICT (usage_id) DO UPDATE SET
    returned_qty = EXCLUDED.returned_qty, allocated_qty = EXCLUDED.allocated_qty,
    cogs = EXCLUDED.cogs"""
# A usage's allocation rows are replaced by deleting the rows it no longer has and upserting
# the rows it has (two statements that never touch the same row, so they can go out as one;
# an unchanged row is not rewritten). A join to unnest, not "= ANY": with a few hundred ids
# "= ANY" was planned as a scan of the whole table (30k rows, even at random_page_cost 1.1);
# the join probes the primary key per id.
ALLOCATIONS_PRUNE = """
DELETE FROM allocations a
USING (SELECT x.usage_id, x.lot_id
       FROM unnest($1::text[]) AS u(usage_id) JOIN allocations x ON x.usage_id = u.usage_id
       EXCEPT
       SELECT r->>0, r->>1 FROM jsonb_array_elements($2::jsonb) AS r) AS gone
WHERE (a.usage_id, a.lot_id) = (gone.usage_id, gone.lot_id)"""
ALLOCATIONS_PUT = """
INSERT INTO allocations AS a (usage_id, lot_id, qty, unit_cost)
SELECT r->>0, r->>1, (r->>2)::numeric, (r->>3)::numeric
FROM jsonb_array_elements($1::jsonb) AS r
ON CONFLICT (usage_id, lot_id) DO UPDATE SET qty = EXCLUDED.qty, unit_cost = EXCLUDED.unit_cost
WHERE (a.qty, a.unit_cost) IS DISTINCT FROM (EXCLUDED.qty, EXCLUDED.unit_cost)"""
COGS_ENTRIES_ADD = """
INSERT INTO cogs_entries (event_id, usage_id, lot_id, amount, cause, occurred_at)
SELECT r->>0, r->>1, r->>2, (r->>3)::numeric, r->>4, (r->>5)::timestamptz
FROM jsonb_array_elements($1::jsonb) AS r"""
PARKED_FOR_SERIALS = """
SELECT event FROM parked_events
WHERE serials && $1::text[]
ORDER BY event_id"""
PARKED_ADD = """
INSERT INTO parked_events (event_id, event, serials, reason)
SELECT t.event_id, t.event, ARRAY(SELECT jsonb_array_elements_text(t.serials::jsonb)), t.reason
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(event_id, event, serials, reason)
ON CONFLICT (event_id) DO NOTHING"""
PARKED_REMOVE = "DELETE FROM parked_events WHERE event_id = ANY($1::text[])"
DEAD_LETTERS_CURED = """
UPDATE dead_letters SET replayed_at = now()
WHERE id IN (SELECT id FROM dead_letters
             WHERE event_id = ANY($1::text[]) AND replayed_at IS NULL
             ORDER BY id FOR UPDATE)"""

# --- cost reads (lots, usage, COGS, cost layers, cost reconciliation) --------------------------
# Lots and usages page in item order (location, lic, id) after the keyset cursor ($1, $2, $3);
# a NULL $1 starts at the first row. Filters are optional ($n IS NULL).
_LOT_COLUMNS = """lot_id, kind, location, lic, document, document_line, mfr_lot, qty,
       allocated_qty, remaining_qty, unit_cost, cost_status, received_at"""
_USAGE_COLUMNS = """usage_id, kind, location, lic, document, document_line, mfr_lot, qty,
       returned_qty, allocated_qty, unallocated_qty, cogs, occurred_at"""
LOTS_PAGE = f"""
SELECT {_LOT_COLUMNS}
FROM lots
WHERE ($1::text IS NULL OR (location, lic, lot_id) > ($1::text, $2::text, $3::text))
  AND ($4::text IS NULL OR lic = $4) AND ($5::text IS NULL OR location = $5)
  AND ($6::text IS NULL OR ($6::text = 'open') = (remaining_qty > 0))
ORDER BY location, lic, lot_id
LIMIT $7"""
USAGE_PAGE = f"""
SELECT {_USAGE_COLUMNS}
FROM usages
WHERE ($1::text IS NULL OR (location, lic, usage_id) > ($1::text, $2::text, $3::text))
  AND ($4::text IS NULL OR lic = $4) AND ($5::text IS NULL OR location = $5)
  AND (NOT $6::boolean OR unallocated_qty > 0)
ORDER BY location, lic, usage_id
LIMIT $7"""
USAGES_OF_DOCUMENT = f"""
SELECT {_USAGE_COLUMNS} FROM usages WHERE document = $1 ORDER BY usage_id"""
USAGES_BY_ID = f"""
SELECT {_USAGE_COLUMNS} FROM usages WHERE usage_id = ANY($1::text[]) ORDER BY usage_id"""
USAGES_TOP_COGS = f"""
SELECT {_USAGE_COLUMNS} FROM usages ORDER BY cogs DESC, usage_id LIMIT $1"""
UNALLOCATED_USAGE_SUMMARY = """
SELECT count(*) AS usages, count(DISTINCT (location, lic)) AS items,
       coalesce(sum(unallocated_qty), 0) AS qty
FROM usages WHERE unallocated_qty > 0"""
# A usage's allocations, its lots in FIFO order; amount = qty x the allocation's unit cost.
ALLOCATIONS_OF_USAGES = """
SELECT a.usage_id, a.lot_id, a.qty, a.unit_cost, a.qty * a.unit_cost AS amount,
       l.kind, l.document, l.cost_status, l.received_at
FROM allocations a
LEFT JOIN lots l ON l.lot_id = a.lot_id
WHERE a.usage_id = ANY($1::text[])
ORDER BY a.usage_id, l.received_at NULLS LAST, a.lot_id"""
# An item's open lots (remaining quantity) in FIFO order: first received first.
COST_LAYERS = f"""
SELECT {_LOT_COLUMNS}
FROM lots
WHERE lic = $1 AND location = $2 AND remaining_qty > 0
ORDER BY received_at NULLS LAST, lot_id"""
COST_BOOKS_STATE = """
SELECT s.position, (SELECT count(*) FROM lots) AS lots, (SELECT count(*) FROM usages) AS usages
FROM cost_state s WHERE s.singleton"""
# The figures of invariant 1 per item (every item with a balance row, a transaction, a lot or
# a usage): Σ lot qty - Σ usage net qty (qty - returned) = Σ on_hand transactions = on_hand.
RECONCILE_COST_ITEMS = """
WITH lot_sums AS (
    SELECT location, lic, sum(qty) AS qty FROM lots GROUP BY location, lic
), usage_sums AS (
    SELECT location, lic, sum(qty - returned_qty) AS qty FROM usages GROUP BY location, lic
), txn_sums AS (
    SELECT location, lic, coalesce(sum(qty) FILTER (WHERE bucket = 'on_hand'), 0) AS on_hand
    FROM transactions GROUP BY location, lic
), items AS (
    SELECT location, lic FROM lot_sums
    UNION SELECT location, lic FROM usage_sums
    UNION SELECT location, lic FROM txn_sums
    UNION SELECT location, lic FROM balances
)
SELECT i.location, i.lic, coalesce(l.qty, 0) AS lots, coalesce(u.qty, 0) AS usage,
       coalesce(t.on_hand, 0) AS on_hand_txns, coalesce(b.on_hand, 0) AS on_hand_balance,
       coalesce(b.on_order, 0) AS on_order_balance, coalesce(b.demand, 0) AS demand_balance
FROM items i
LEFT JOIN lot_sums l ON (l.location, l.lic) = (i.location, i.lic)
LEFT JOIN usage_sums u ON (u.location, u.lic) = (i.location, i.lic)
LEFT JOIN txn_sums t ON (t.location, t.lic) = (i.location, i.lic)
LEFT JOIN balances b ON (b.location, b.lic) = (i.location, i.lic)
ORDER BY i.location, i.lic"""
# Invariants 3 and 4, one row per breach (none when the books are sound):
# 3: 0 <= allocated <= qty (net of returns for a usage), and allocated = Σ its allocation rows;
# 4: a usage's cogs = Σ allocation qty x the lot's current unit cost = Σ its COGS journal,
#    and every allocation row carries its lot's current unit cost.
# ``rank`` orders the checks of one subject (the rule texts would sort by collation).
RECONCILE_COST_ROWS = """
WITH usage_alloc AS (
    SELECT a.usage_id, sum(a.qty) AS qty, sum(a.qty * coalesce(l.unit_cost, a.unit_cost)) AS cost
    FROM allocations a LEFT JOIN lots l ON l.lot_id = a.lot_id
    GROUP BY a.usage_id
), lot_alloc AS (
    SELECT lot_id, sum(qty) AS qty FROM allocations GROUP BY lot_id
), posted AS (
    SELECT usage_id, sum(amount) AS amount FROM cogs_entries GROUP BY usage_id
)
SELECT location, lic, 3 AS invariant, lot_id AS subject, 'lot allocated_qty <= qty' AS rule,
       qty AS expected, allocated_qty AS actual, 1 AS rank
FROM lots WHERE NOT (allocated_qty BETWEEN 0 AND qty)
UNION ALL
SELECT l.location, l.lic, 3, l.lot_id, 'lot allocated_qty = Σ allocations',
       coalesce(a.qty, 0), l.allocated_qty, 2
FROM lots l LEFT JOIN lot_alloc a ON a.lot_id = l.lot_id
WHERE l.allocated_qty <> coalesce(a.qty, 0)
UNION ALL
SELECT location, lic, 3, usage_id, 'usage allocated_qty <= qty - returned_qty',
       qty - returned_qty, allocated_qty, 3
FROM usages WHERE NOT (allocated_qty BETWEEN 0 AND qty - returned_qty)
UNION ALL
SELECT u.location, u.lic, 3, u.usage_id, 'usage allocated_qty = Σ allocations',
       coalesce(a.qty, 0), u.allocated_qty, 4
FROM usages u LEFT JOIN usage_alloc a ON a.usage_id = u.usage_id
WHERE u.allocated_qty <> coalesce(a.qty, 0)
UNION ALL
SELECT u.location, u.lic, 4, u.usage_id, 'cogs = Σ allocation qty x lot unit_cost',
       coalesce(a.cost, 0), u.cogs, 5
FROM usages u LEFT JOIN usage_alloc a ON a.usage_id = u.usage_id
WHERE u.cogs <> coalesce(a.cost, 0)
UNION ALL
SELECT u.location, u.lic, 4, u.usage_id, 'cogs = Σ COGS journal',
       coalesce(p.amount, 0), u.cogs, 6
FROM usages u LEFT JOIN posted p ON p.usage_id = u.usage_id
WHERE u.cogs <> coalesce(p.amount, 0)
UNION ALL
SELECT u.location, u.lic, 4, a.usage_id || ' <- ' || a.lot_id,
       'allocation unit_cost = lot unit_cost', l.unit_cost, a.unit_cost, 7
FROM allocations a
JOIN usages u ON u.usage_id = a.usage_id
LEFT JOIN lots l ON l.lot_id = a.lot_id
WHERE l.unit_cost IS DISTINCT FROM a.unit_cost
ORDER BY location, lic, invariant, subject, rank"""
