-- The cost side (issue 6): lots, usage, allocations to lots and the COGS journal.
--
-- cost_events is the cost log: every event the cost books accepted, in the order they were
-- applied (position), encoded by adapters/postgres/event_codec.py. A service instance keeps
-- the cost books in memory and catches up from this log; cost_state.position is the log's
-- head, and locking that one row serializes cost work between instances (a batch reads the
-- head under the lock, catches up, applies, appends and moves the head in its transaction).
--
-- lots, usages and allocations are the query rows of the books: a batch rewrites exactly the
-- lots and usages its events changed (CostLedger.take_dirty). cogs_entries is append-only:
-- per (usage, lot), Σ amount = net allocated qty × the lot's current unit cost.
-- Runs as the owner role; the application role's name comes from current_setting('inventory.app_role').

CREATE TABLE cost_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position  bigint  NOT NULL DEFAULT 0 CHECK (position >= 0)
);
INSERT INTO cost_state DEFAULT VALUES;

CREATE TABLE cost_events (
    position    bigint      PRIMARY KEY CHECK (position > 0),
    event_id    text        NOT NULL UNIQUE,
    event       text        NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lots (
    lot_id        text          PRIMARY KEY,
    kind          text          NOT NULL,
    location      text          NOT NULL,
    lic           text          NOT NULL,
    document      text          NOT NULL,
    document_line text          NOT NULL,
    mfr_lot       text,
    qty           numeric(24,6) NOT NULL CHECK (qty >= 0),
    allocated_qty numeric(24,6) NOT NULL CHECK (allocated_qty >= 0 AND allocated_qty <= qty),
    remaining_qty numeric(24,6) GENERATED ALWAYS AS (qty - allocated_qty) STORED,
    unit_cost     numeric       NOT NULL,
    cost_status   text          NOT NULL CHECK (cost_status IN ('estimated', 'final')),
    received_at   timestamptz
);
CREATE INDEX lots_item ON lots (location, lic, lot_id);
CREATE INDEX lots_open ON lots (location, lic, lot_id) WHERE remaining_qty > 0;

CREATE TABLE usages (
    usage_id        text          PRIMARY KEY,
    kind            text          NOT NULL,
    location        text          NOT NULL,
    lic             text          NOT NULL,
    document        text          NOT NULL,
    document_line   text          NOT NULL,
    mfr_lot         text,
    qty             numeric(24,6) NOT NULL CHECK (qty > 0),
    returned_qty    numeric(24,6) NOT NULL CHECK (returned_qty >= 0),
    allocated_qty   numeric(24,6) NOT NULL CHECK (allocated_qty >= 0),
    unallocated_qty numeric(24,6) GENERATED ALWAYS AS (qty - returned_qty - allocated_qty) STORED,
    cogs            numeric       NOT NULL,
    occurred_at     timestamptz   NOT NULL,
    CHECK (allocated_qty <= qty - returned_qty)
);
CREATE INDEX usages_item ON usages (location, lic, usage_id);
CREATE INDEX usages_unallocated ON usages (location, lic, usage_id) WHERE unallocated_qty > 0;
CREATE INDEX usages_document ON usages (document);

CREATE TABLE allocations (
    usage_id  text          NOT NULL,
    lot_id    text          NOT NULL,
    qty       numeric(24,6) NOT NULL CHECK (qty > 0),
    unit_cost numeric       NOT NULL,
    PRIMARY KEY (usage_id, lot_id)
);
CREATE INDEX allocations_lot ON allocations (lot_id);

CREATE TABLE cogs_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    text        NOT NULL,
    usage_id    text        NOT NULL,
    lot_id      text        NOT NULL,
    amount      numeric     NOT NULL CHECK (amount <> 0),
    cause       text        NOT NULL CHECK (cause IN ('allocation', 'revaluation')),
    occurred_at timestamptz NOT NULL
);
CREATE INDEX cogs_entries_usage ON cogs_entries (usage_id, lot_id);

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT SELECT, UPDATE ON cost_state TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON cost_events, cogs_entries TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON lots, usages, allocations TO %I', app);
END $$;
