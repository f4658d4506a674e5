-- The quantity side of the ledger: document (and document-line) state, immutable transactions, balances,
-- processed events (idempotency) and the balance_changed outbox.
-- Runs as the owner role; the application role's name comes from current_setting('inventory.app_role').

CREATE TABLE processed_events (
    event_id      text        PRIMARY KEY,
    event_type    text        NOT NULL,
    payload_hash  bytea       NOT NULL,
    occurred_at   timestamptz NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);

-- The current state of every document (PO, order, job) with its lines: what each line
-- ordered and what was fulfilled against it. `state` is the domain's DocumentState, encoded by
-- the store; a line's contribution to on_order/demand is derived from it, and only differences
-- are posted as transactions. The document is the unit that is locked (cancel/close/change act
-- on all of its lines).
CREATE TABLE document_states (
    document_kind text        NOT NULL,
    document_id   text        NOT NULL,
    state         jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_kind, document_id)
);

CREATE TABLE transactions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lic           text          NOT NULL,
    location      text          NOT NULL,
    bucket        text          NOT NULL CHECK (bucket IN ('on_hand', 'on_order', 'demand')),
    qty           numeric(24,6) NOT NULL CHECK (qty <> 0),
    occurred_at   timestamptz   NOT NULL,
    recorded_at   timestamptz   NOT NULL DEFAULT now(),
    event_id      text          NOT NULL,
    document      text          NOT NULL,
    document_line text,
    mfr_lot       text
);
-- One secondary index only: the ledger is written far more than it is searched, and every
-- index is paid on each COPY. Per-item as-of sums use it; whole-ledger reads scan anyway.
CREATE INDEX transactions_item_time ON transactions (lic, location, occurred_at);

-- Transactions are immutable: no role may change or remove one (grants say so for the
-- application role; this trigger says so for everyone, the owner included).
CREATE FUNCTION transactions_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transactions are immutable: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER transactions_immutable
    BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_are_immutable();
CREATE TRIGGER transactions_no_truncate
    BEFORE TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_are_immutable();

-- A cache of the ledger: balances = Σ transactions per bucket (checked by reconcile).
CREATE TABLE balances (
    location      text          NOT NULL,
    lic           text          NOT NULL,
    on_hand       numeric(24,6) NOT NULL DEFAULT 0,
    on_order      numeric(24,6) NOT NULL DEFAULT 0,
    demand        numeric(24,6) NOT NULL DEFAULT 0,
    version       bigint        NOT NULL DEFAULT 0,
    occurred_at   timestamptz,
    updated_at    timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (location, lic)
);

-- One row per committed change of an item's balances; relayed to inventory.balance-changed.v1
-- by a `published_at IS NULL` scan (never by an id cursor: ids become visible out of order).
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      text        NOT NULL UNIQUE,
    location      text        NOT NULL,
    lic           text        NOT NULL,
    version       bigint      NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    UNIQUE (location, lic, version)
);
CREATE INDEX outbox_unpublished ON outbox (location, lic, version) WHERE published_at IS NULL;

DO $$
DECLARE app text := current_setting('inventory.app_role');
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', current_schema(), app);
    EXECUTE format('GRANT SELECT, INSERT ON processed_events, transactions TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON document_states, balances TO %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON outbox TO %I', app);
    EXECUTE format('GRANT UPDATE (published_at) ON outbox TO %I', app);
END $$;
