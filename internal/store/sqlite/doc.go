// Package sqlite is the embedded default store backend, on SQLite through
// the cgo-free modernc.org/sqlite driver.
//
// A file database is opened with one writer connection, held for the
// store's life, on which every Tx runs in turn (BEGIN IMMEDIATE, so a
// transaction never has to upgrade its lock and hit SQLITE_BUSY midway;
// other processes on the same file wait up to busy_timeout), and a small
// pool of read-only connections for Reader calls made outside a Tx. The
// database runs in WAL mode, so those reads never wait behind a long write
// batch. ":memory:"
// opens a private shared-cache in-memory database with the same two pools;
// there, reads outside a Tx never wait either, but they see the running
// Tx's uncommitted writes (SQLite's read_uncommitted), which is acceptable
// for the tests and demos an in-memory store is for.
//
// Batch writes are multi-row statements whose sizes are powers of four, and
// lookups pad their IN lists to a few lengths, so that a handful of
// statements, prepared once on the writer connection and kept, serve every
// page size.
//
// Memory stays bounded whatever the database's size: the writer keeps a
// 32 MB page cache, readers SQLite's default, and nothing is memory-mapped
// (mapped pages count as the process's own once read). The WAL is
// checkpointed every 10,000 pages rather than 1,000, so that index pages
// rewritten by many batches are copied back once. The end of a full run
// (LinkListUnseen, MemberSweep) merges sorted index ranges with EXCEPT
// instead of probing the seen marks row by row.
//
// Schema migrations are embedded (migration/NNN_name.up.sql) and applied by
// Open in one transaction; the versions applied are kept in
// schema_migrations.
//
// Storage conventions: timestamps are integer microseconds since the Unix
// epoch (UTC), so times read back equal (time.Equal) to what was written at
// microsecond precision, whatever the zone they were written in; a zero time
// is NULL. Case-insensitive lookups (UserFind, list search) go through
// lower-cased key columns computed in Go (strings.ToLower), which fold
// non-ASCII letters too. JSON columns are stored as TEXT so that SQLite's
// JSON functions read them.
package sqlite
