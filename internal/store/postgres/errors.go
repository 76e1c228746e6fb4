package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/integrator-oss/integrator/internal/store"
)

// PostgreSQL error codes the store translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// interpretError translates driver errors into the store's sentinels: no
// rows is store.ErrNotFound, a unique violation is store.ErrConflict, and
// a foreign-key violation (a reference to a row that does not exist) is
// store.ErrNotFound. The driver's message is kept. Other errors, nil
// included, pass through.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}
