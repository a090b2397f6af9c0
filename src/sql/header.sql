-- supplymkt install script, assembled by the Makefile from src/sql/*.sql. Do not edit the generated file.
\echo Use "CREATE EXTENSION supplymkt" to load this file. \quit

-- Plumbing (transition, combine and final functions, type I/O, query builders) lives in its own schema, so
-- \df supplymkt.* lists what an analyst calls (the TimescaleDB _timescaledb_internal pattern).
CREATE SCHEMA supplymkt_internal;
GRANT USAGE ON SCHEMA supplymkt_internal TO PUBLIC;
COMMENT ON SCHEMA supplymkt_internal IS 'supplymkt plumbing: transition, combine and final functions, type I/O and query builders. Not an API: names and signatures may change between versions; call the functions in schema supplymkt.';
