// Package jobstest helps tests that need a PostgreSQL database: the job
// engine's, the daemon's and the multi-process end-to-end tests.
//
// Not a public API, and only for tests.
package jobstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the environment variable holding the DSN of a
// PostgreSQL server whose user may create databases. When it is unset,
// DefaultPostgres is tried and the test skipped if nothing answers there.
const PostgresEnv = "INTEGRATOR_TEST_POSTGRES"

// DefaultPostgres is the server tried when PostgresEnv is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

var (
	probeOnce sync.Once
	probeErr  error
)

// PostgresDSN creates an empty database for the test and returns its DSN;
// the database is dropped when the test ends. It skips the test when
// PostgresEnv is unset and no server answers at DefaultPostgres, and fails
// it when the server named by PostgresEnv cannot be used.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin, explicit := os.LookupEnv(PostgresEnv)
	if !explicit || admin == "" {
		admin, explicit = DefaultPostgres, false
	}
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			probeErr = err
			return
		}
		probeErr = conn.Close(ctx)
	})
	if probeErr != nil {
		if explicit {
			t.Fatalf("PostgreSQL named by %s is not usable: %v", PostgresEnv, probeErr)
		}
		t.Skipf("no PostgreSQL at %s (set %s to a server whose user may create databases): %v",
			redact(admin), PostgresEnv, probeErr)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "integrator_test_" + hex.EncodeToString(b[:])
	exec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { exec(t, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return WithDatabase(t, admin, name)
}

// WithDatabase returns dsn with its database replaced by name.
func WithDatabase(t testing.TB, dsn, name string) string {
	t.Helper()
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("parsing %s: %v", PostgresEnv, err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return dsn + " dbname=" + name
}

func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// redact drops the password from a URL DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return "the configured server"
	}
	u.User = url.User(u.User.Username())
	return u.String()
}
