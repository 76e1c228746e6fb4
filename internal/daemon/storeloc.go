package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/integrator-oss/integrator/internal/secretbox"
	"github.com/integrator-oss/integrator/internal/store"
	"github.com/integrator-oss/integrator/internal/store/postgres"
	"github.com/integrator-oss/integrator/internal/store/sqlite"
)

// storeLocation is where the store and River's tables live: a SQLite file
// (one process, River in a database beside it) or a PostgreSQL database
// (any number of processes, River's tables in the same database).
type storeLocation struct {
	// sqlitePath is the store's SQLite file; "" on PostgreSQL.
	sqlitePath string
	// pgDSN is the PostgreSQL connection string; "" on SQLite.
	pgDSN string
}

// parseStore reads the store setting: "postgres://..." or
// "postgresql://..." (parts left out come from the PG* environment
// variables), "sqlite:PATH", "sqlite://PATH" or a bare file path.
func parseStore(s string) storeLocation {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return storeLocation{pgDSN: s}
	case strings.HasPrefix(s, "sqlite://"):
		return storeLocation{sqlitePath: strings.TrimPrefix(s, "sqlite://")}
	case strings.HasPrefix(s, "sqlite:"):
		return storeLocation{sqlitePath: strings.TrimPrefix(s, "sqlite:")}
	case s == "":
		return storeLocation{sqlitePath: "integrator.db"}
	}
	return storeLocation{sqlitePath: s}
}

// multiProcess reports whether several processes may share the store, and
// so whether River's rescuer, not the lock file's orphan rescue, takes back
// the runs of a process that died.
func (l storeLocation) multiProcess() bool { return l.pgDSN != "" }

// String names the store for logs and errors, without a password.
func (l storeLocation) String() string {
	if l.pgDSN == "" {
		return l.sqlitePath
	}
	u, err := url.Parse(l.pgDSN)
	if err != nil {
		return "postgres (unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}

// open opens the store and applies its migrations.
func (l storeLocation) open(ctx context.Context, logger *slog.Logger) (store.Store, error) {
	if l.pgDSN != "" {
		st, err := postgres.Open(ctx, l.pgDSN, logger)
		if err != nil {
			return nil, fmt.Errorf("opening store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, l.sqlitePath, logger)
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", l.sqlitePath, err)
	}
	return st, nil
}

// warnSharedKey warns when processes sharing a PostgreSQL store would each
// seal the secrets of integrations created through the API with a key of
// their own, which the others could not open.
func (l storeLocation) warnSharedKey(logger *slog.Logger) {
	if _, ok := os.LookupEnv(secretbox.EnvKey); l.multiProcess() && !ok {
		logger.Warn("store on PostgreSQL without " + secretbox.EnvKey + ": secrets of integrations created through the API are sealed with a key of this process only, which other processes and later restarts cannot open; set the same key on every process")
	}
}
