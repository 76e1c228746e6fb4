// Package postgres is the store backend for scale-out: several integrator
// processes share one PostgreSQL database (version 14 or newer, as River requires; the
// store alone needs 13), through
// github.com/jackc/pgx/v5 and a pgxpool connection pool.
//
// # Connecting
//
// Open takes a postgres:// URL or a key=value connection string, as libpq
// does:
//
//	postgres://integrator@db.example.com:5432/integrator?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem
//	host=db.example.com user=integrator dbname=integrator sslmode=verify-full
//
// Whatever the string leaves out comes from the standard environment
// variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGPASSFILE,
// PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGAPPNAME, ...) and then
// from libpq's defaults, so a password can stay out of the configuration
// file (PGPASSWORD or ~/.pgpass). TLS is set with sslmode (disable, prefer
// — the default —, require, verify-ca, verify-full) and sslrootcert,
// sslcert and sslkey for a private CA or client certificates. pool_max_conns
// (default: the larger of 4 and the number of CPUs) bounds the connections
// one process opens. Errors name the host, port, database and user, never
// the password.
//
// The role needs CONNECT on the database and, for the first Open and after
// an upgrade, the right to create tables in the schema it uses (the first
// of its search_path, normally public); afterwards SELECT, INSERT, UPDATE
// and DELETE on those tables and USAGE on their sequences are enough. The
// store also analyzes the tables a sync fills, ahead of autovacuum, which
// PostgreSQL allows the tables' owner: run as the role that created them
// (for another role the ANALYZE is skipped with a warning, and plans wait
// for autovacuum).
//
// # Schema
//
// The migrations are embedded (migration/NNN_name.up.sql) and applied by
// Open in one transaction, under a transaction-scoped advisory lock
// (pg_advisory_xact_lock), so that several processes starting at once
// apply each one once; the versions applied are kept in schema_migrations.
//
// # Transactions and batches
//
// Tx runs on one pooled connection at the default READ COMMITTED level.
// Writers in different processes run side by side: IDs come from sequences
// (allocated up front, in ascending order, for a batch), upserts rely on
// ON CONFLICT, and River keeps two runs of one integration from ever
// overlapping. Reader calls outside a Tx use any pooled connection and see
// only committed data.
//
// Batch writes send each column as one array and unnest() them, so one
// statement, prepared once per connection by pgx's statement cache, writes
// a page of any size (the engine hands over up to 8,000 records per
// transaction); large plain inserts (users, audit events) go through COPY
// instead. Lookups by a page of keys pass them as one array and probe the
// index once per key (see perKey), whatever the table's size.
//
// Storage conventions: times are timestamptz, read back in UTC and equal
// (time.Equal) to what was written at microsecond precision; a zero time is
// NULL. Case-insensitive lookups go through lower-cased key columns
// computed in Go (strings.ToLower), as in the SQLite store, so both fold
// the same letters whatever the database's collation.
package postgres
