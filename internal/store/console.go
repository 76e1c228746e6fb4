package store

import (
	"context"
	"time"

	"github.com/integrator-oss/integrator/internal/record"
)

// Console is the persistence of the API and the operator console:
// integrations defined at run time, administrators, and the credentials
// that authenticate requests (console sessions, API tokens, one-time setup
// links). A backend implements it beside Store; callers find it with a type
// assertion (st.(store.Console)). Each method is its own transaction and
// writes one row: none of this is on a sync's hot path.
type Console interface {
	// IntegrationDefGet returns the definition of that name, or ErrNotFound.
	IntegrationDefGet(ctx context.Context, name string) (*IntegrationDef, error)
	// IntegrationDefList lists every definition by name.
	IntegrationDefList(ctx context.Context) ([]IntegrationDef, error)
	// IntegrationDefPut creates a definition (p.Version 0; ErrConflict if
	// the name exists) or replaces one whose Version is p.Version
	// (ErrConflict if it changed since, ErrNotFound if it is gone). The
	// stored Version increases by one on every write.
	IntegrationDefPut(ctx context.Context, p *IntegrationDefPutParams) (*IntegrationDef, error)
	// IntegrationDefDelete deletes a definition, or returns ErrNotFound.
	// The integration's runs, links and audit trail stay.
	IntegrationDefDelete(ctx context.Context, name string) error

	// AdminGet returns the administrator with that user name, or
	// ErrNotFound.
	AdminGet(ctx context.Context, username string) (*Admin, error)
	// AdminGetByID returns the administrator with that ID, or ErrNotFound.
	AdminGetByID(ctx context.Context, id int64) (*Admin, error)
	// AdminList lists administrators by user name.
	AdminList(ctx context.Context) ([]Admin, error)
	// AdminPut creates the administrator of that user name or replaces its
	// password hash.
	AdminPut(ctx context.Context, p *AdminPutParams) (*Admin, error)

	// CredentialCreate stores a credential by the hash of its token and
	// sets its ID and CreatedAt. ErrConflict if the hash exists.
	CredentialCreate(ctx context.Context, c *Credential) error
	// CredentialGet returns the unexpired credential with that token hash,
	// or ErrNotFound.
	CredentialGet(ctx context.Context, hash []byte, now time.Time) (*Credential, error)
	// CredentialList lists the unexpired credentials of a kind, newest
	// first.
	CredentialList(ctx context.Context, kind string, now time.Time) ([]Credential, error)
	// CredentialDelete deletes the credentials of a kind with that ID, or
	// with AdminID adminID when id is 0, and returns how many it deleted.
	CredentialDelete(ctx context.Context, kind string, id, adminID int64) (int, error)
	// CredentialDeleteExpired deletes credentials expired at now.
	CredentialDeleteExpired(ctx context.Context, now time.Time) (int, error)
}

// LinkLister is implemented by backends that list links by run, status
// and text, beside Store (find it with a type assertion).
type LinkLister interface {
	// LinkList lists one integration's links of a kind by ascending ID
	// after AfterID: the per-record outcomes of a run, the source objects
	// left out of scope, the answer to "why is X not imported".
	LinkList(ctx context.Context, p *LinkListParams) ([]Link, error)
}

// LinkListParams filter LinkList. Zero fields other than IntegrationID and
// Kind do not filter.
type LinkListParams struct {
	IntegrationID int64
	Kind          record.Kind
	// RunID keeps the links last written by that run.
	RunID  int64
	Status string
	// Search matches a substring of the external ID or of the source
	// record's data (names, UPN, mail), case-insensitively.
	Search  string
	AfterID int64
	Limit   int
}

// IntegrationDef is an integration created through the API or the
// console: its document (the same keys as an entry of the config file's
// "integrations:", as JSON, with every secret left out) and its secrets,
// sealed (encrypted and authenticated) by the caller. The store never sees
// a secret in the clear.
type IntegrationDef struct {
	Name      string
	Type      string
	Document  []byte
	Sealed    []byte
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// IntegrationDefPutParams write a definition.
type IntegrationDefPutParams struct {
	Name     string
	Type     string
	Document []byte
	Sealed   []byte
	// Version is 0 to create, else the version being replaced.
	Version int64
}

// Admin is a console administrator.
type Admin struct {
	ID       int64
	Username string
	// PasswordHash is an encoded argon2id hash; empty until the
	// administrator sets a password through a setup link.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// AdminPutParams create or update an administrator.
type AdminPutParams struct {
	Username     string
	PasswordHash string
}

// Credential kinds.
const (
	CredentialSession = "session"
	CredentialToken   = "token"
	CredentialSetup   = "setup"
)

// Credential scopes.
const (
	ScopeRead  = "read"
	ScopeAdmin = "admin"
)

// Credential is a bearer credential: only the SHA-256 hash of its token is
// stored.
type Credential struct {
	ID   int64
	Kind string
	Hash []byte
	// Name is an API token's label.
	Name string
	// Scope is ScopeRead or ScopeAdmin.
	Scope string
	// AdminID is the administrator a session or setup link belongs to, or
	// who created a token.
	AdminID   int64
	CreatedAt time.Time
	// ExpiresAt is zero for a credential that does not expire.
	ExpiresAt time.Time
}
