-- Runs once, on the first start of an empty data volume (the postgres image's initdb hook).
-- The same two roles as the local stack and production: the owner migrates, the app runs.
-- Demo passwords only.
CREATE ROLE ledger_owner LOGIN PASSWORD 'ledger_owner';
CREATE ROLE ledger_app LOGIN PASSWORD 'ledger_app';
ALTER DATABASE inventory OWNER TO ledger_owner;
-- Postgres 15: the public schema belongs to pg_database_owner, i.e. now ledger_owner;
-- the app role gets its grants from the migrations, nothing more.
REVOKE ALL ON DATABASE inventory FROM PUBLIC;
GRANT CONNECT ON DATABASE inventory TO ledger_owner, ledger_app;
