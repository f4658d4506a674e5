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
DEAD_LETTERS_MARK_PUBLISHED = """
UPDATE dead_letters SET published_at = now()
WHERE id = ANY($1::bigint[]) AND published_at IS NULL"""
DEAD_LETTERS_MARK_REPLAYED = """
UPDATE dead_letters SET replayed_at = now()
WHERE id = ANY($1::bigint[]) AND replayed_at IS NULL
RETURNING id"""
