package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/postgres"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// benchStores opens the fresh stores one repetition of the bench writes
// into: SQLite files in the bench directory, or, with --store postgres://,
// new schemas in that database, dropped when the repetition ends.
type benchStores struct {
	dir string
	// pg is the --store URL; "" for SQLite.
	pg      string
	schemas []string
}

func (b *benchStores) postgres() bool { return b.pg != "" }

// limitName names the raw-insert limit in the report.
func (b *benchStores) limitName() string {
	if b.postgres() {
		return "PostgreSQL COPY alone (user, link, audit, seen rows)"
	}
	return "SQLite inserts alone (user, link, audit, seen rows)"
}

// baseline writes n users the raw way into a new store named name.
func (b *benchStores) baseline(ctx context.Context, name string, n int) error {
	if !b.postgres() {
		return sqlite.BaselineInsert(ctx, filepath.Join(b.dir, name+".db"), n)
	}
	dsn, err := b.schema(ctx, name)
	if err != nil {
		return err
	}
	return postgres.BaselineInsert(ctx, dsn, n)
}

// open opens a new store named name.
func (b *benchStores) open(ctx context.Context, name string, logger *slog.Logger) (store.Store, error) {
	if !b.postgres() {
		return sqlite.Open(ctx, filepath.Join(b.dir, name+".db"), logger)
	}
	dsn, err := b.schema(ctx, name)
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, dsn, logger)
}

// schema creates an empty schema for name and returns a DSN using it.
func (b *benchStores) schema(ctx context.Context, name string) (string, error) {
	if !strings.HasPrefix(b.pg, "postgres://") && !strings.HasPrefix(b.pg, "postgresql://") {
		return "", fmt.Errorf("--store: want a postgres:// URL")
	}
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	schema := "integrator_bench_" + strings.ReplaceAll(name, "-", "_") + "_" + hex.EncodeToString(r)
	if err := b.exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	b.schemas = append(b.schemas, schema)
	u, err := url.Parse(b.pg)
	if err != nil {
		return "", fmt.Errorf("--store: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// cleanup drops the schemas the repetition created.
func (b *benchStores) cleanup(ctx context.Context) error {
	for _, s := range b.schemas {
		if err := b.exec(ctx, "DROP SCHEMA "+s+" CASCADE"); err != nil {
			return err
		}
	}
	b.schemas = nil
	return nil
}

func (b *benchStores) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, b.pg)
	if err != nil {
		return fmt.Errorf("--store: connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("--store: %w", err)
	}
	return nil
}
