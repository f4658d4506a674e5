-- Dead letters: messages that can never be processed, kept byte for byte with where they came
-- from and why, listable and replayable after a fix; relayed to inventory.dead-letter.v1 by a
-- `published_at IS NULL` scan (like the outbox). (source_topic, source_partition, source_offset)
-- identifies a message, so a redelivered poison message is recorded once.
-- Runs as the owner role; the application role's name comes from current_setting('inventory.app_role').

CREATE TABLE dead_letters (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_topic     text        NOT NULL,
    source_partition integer     NOT NULL CHECK (source_partition >= 0),
    source_offset    bigint      NOT NULL CHECK (source_offset >= 0),
    key              bytea,
    value            bytea       NOT NULL,
    -- [{"key": "<name>", "value": "<base64>" | null}, ...] in the message's order
    headers          jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(headers) = 'array'),
    reason           text        NOT NULL CHECK (reason ~ '^[a-z][a-z0-9_]{0,63}$'),
    message          text        NOT NULL CHECK (length(message) <= 10000),
    event_id         text,
    event_type       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    replayed_at      timestamptz,
    UNIQUE (source_topic, source_partition, source_offset)
);
CREATE INDEX dead_letters_unpublished ON dead_letters (id) WHERE published_at IS NULL;
CREATE INDEX dead_letters_reason ON dead_letters (reason, id);

-- The relay scans the outbox the same way (published_at IS NULL, in id order). 0001's partial
-- index is on (location, lic, version), so without this one the scan walks the primary key
-- through every published row (2M rows, 10k unpublished: 804 ms without, 0.2 ms with).
CREATE INDEX outbox_relay_scan ON outbox (id) WHERE published_at IS NULL;

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, INSERT ON dead_letters TO %I', app);
    EXECUTE format('GRANT UPDATE (published_at, replayed_at) ON dead_letters TO %I', app);
END $$;
