package leadscore

import (
	"context"
	"time"
)

// WorkspaceID scopes every row and every query. Until workspaces are exposed
// there is one, DefaultWorkspace.
type WorkspaceID string

const DefaultWorkspace WorkspaceID = "default"

// StoredEvent is an accepted event with its storage identity. Source and
// MessageID make it unique: a client retry with the same messageId is the
// same event. Seq orders events by acceptance.
type StoredEvent struct {
	Event
	Seq        int64     `json:"seq"`
	MessageID  string    `json:"message_id"`
	ReceivedAt time.Time `json:"received_at"`
	// AnonymousID is the device id the event arrived with, kept after the
	// event is merged into a known lead.
	AnonymousID string `json:"anonymous_id,omitempty"`
}

// ScoreRecord is a lead's current score under one model: the latest
// evaluation, kept so that lists and reads never re-evaluate.
type ScoreRecord struct {
	LeadID       string      `json:"lead_id"`
	Model        string      `json:"model"`
	Version      string      `json:"version"`
	Score        float64     `json:"score"`
	Display      int64       `json:"display"`
	Band         string      `json:"band,omitempty"`
	Grade        string      `json:"grade,omitempty"`
	Qualified    bool        `json:"qualified"`
	Disqualified bool        `json:"disqualified"`
	Evaluation   *Evaluation `json:"evaluation,omitempty"`
	// NextChangeAt is indexed: the time job re-evaluates only leads whose
	// time has come. Zero means never.
	NextChangeAt time.Time `json:"next_change_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// CauseKind says why a score changed.
type CauseKind string

const (
	CauseEvent     CauseKind = "event"     // an event arrived (Ref: event id)
	CauseTime      CauseKind = "time"      // decay, a window closing, half-life
	CauseModel     CauseKind = "model"     // a model version was activated (Ref: version)
	CauseAttribute CauseKind = "attribute" // the lead or its account changed
	CauseMerge     CauseKind = "merge"     // anonymous activity joined the lead (Ref: anonymous id)
	CauseRescore   CauseKind = "rescore"   // an explicit re-evaluation
)

// LedgerEntry is one change of a lead's score under a model, with its cause.
// The ledger is append-only: it is the lead's score history.
type LedgerEntry struct {
	Seq       int64     `json:"seq"`
	LeadID    string    `json:"lead_id"`
	Model     string    `json:"model"`
	Version   string    `json:"version"`
	At        time.Time `json:"at"`
	OldScore  *float64  `json:"old_score"` // nil for the first score
	NewScore  float64   `json:"new_score"`
	OldBand   string    `json:"old_band,omitempty"`
	NewBand   string    `json:"new_band,omitempty"`
	Cause     CauseKind `json:"cause"`
	CauseRef  string    `json:"cause_ref,omitempty"`
	Detail    string    `json:"detail,omitempty"`
	Qualified bool      `json:"qualified"`
}

// ModelVersion is one immutable upload of a model file. A file may define
// several models; each model name has at most one active version.
type ModelVersion struct {
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	Source    string     `json:"source"` // the YAML text as uploaded
	Spec      *ModelSpec `json:"spec"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by,omitempty"`
	Active    bool       `json:"active"`
}

// Scope is what an API key may do.
type Scope string

const (
	ScopeWrite Scope = "write" // ingestion only
	ScopeRead  Scope = "read"
	ScopeAdmin Scope = "admin"
)

// APIKey is a stored key. The secret itself is never stored: only a hash,
// and a short prefix so that a user can tell keys apart.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Hash      []byte     `json:"-"`
	Scopes    []Scope    `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
}

// Allows reports whether the key grants scope. Admin grants everything and
// read does not imply write: an ingestion key in a web page can read
// nothing.
func (k *APIKey) Allows(s Scope) bool {
	for _, have := range k.Scopes {
		if have == s || have == ScopeAdmin {
			return true
		}
	}
	return false
}

// Job is a background task with visible progress (a model activation
// re-scoring every lead, an import).
type Job struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	State     JobState  `json:"state"`
	Done      int64     `json:"done"`
	Total     int64     `json:"total"`
	Detail    string    `json:"detail,omitempty"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type JobState string

const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobSucceeded JobState = "succeeded"
	JobFailed    JobState = "failed"
)

// AccountList is a named list of account domains, such as target accounts.
// Accounts on a Priority list are priority accounts.
type AccountList struct {
	Name     string   `json:"name"`
	Priority bool     `json:"priority"`
	Domains  []string `json:"domains,omitempty"`
	Size     int      `json:"size"`
}

// LeadFilter selects leads for listing. Keyset pagination: After is the
// opaque cursor returned with the previous page.
type LeadFilter struct {
	Model        string // required when ordering by score or filtering on score facts
	Band         string
	Qualified    *bool
	AccountID    string
	Owner        string
	MinScore     *float64
	UpdatedSince time.Time
	Query        string // prefix of email, name or company
	OrderBy      string // "score" (default when Model is set) or "updated"
	After        string
	Limit        int
}

// LeadRow is one row of a lead listing.
type LeadRow struct {
	Lead  Lead         `json:"lead"`
	Score *ScoreRecord `json:"score,omitempty"`
}

// Store is everything the service keeps. One implementation (sqlstore)
// serves SQLite and PostgreSQL; the conformance suite (storetest) holds both
// to the same behaviour. Every operation is scoped to one workspace through
// the view Workspace returns, so no query can reach another workspace's
// rows. A missing row is an Error with CodeNotFound.
type Store interface {
	Workspace(ws WorkspaceID) WorkspaceStore
	Close() error
}

// WorkspaceStore is one workspace's data.
type WorkspaceStore interface {
	Reader
	// Write runs fn in one transaction: every write inside commits together
	// or not at all. The service batches many requests into one call (group
	// commit), so an acknowledged event is always committed.
	Write(ctx context.Context, fn func(tx Tx) error) error
}

// Reader holds the read operations, also available inside a transaction.
type Reader interface {
	Lead(ctx context.Context, id string) (*Lead, error)
	// LeadByAlias resolves an external id, email or anonymous id to a lead.
	LeadByAlias(ctx context.Context, alias string) (string, error)
	Account(ctx context.Context, id string) (*Account, error)
	AccountLeads(ctx context.Context, accountID string) ([]Lead, error)
	// Events returns a lead's events in time order, up to limit (0: all).
	Events(ctx context.Context, leadID string, limit int) ([]StoredEvent, error)
	// Peers returns the other people of the account with their activity
	// times since since.
	Peers(ctx context.Context, accountID, exceptLead string, since time.Time) ([]Peer, error)
	Scores(ctx context.Context, leadID string) ([]ScoreRecord, error)
	Ledger(ctx context.Context, leadID, model string, after int64, limit int) ([]LedgerEntry, error)
	ListLeads(ctx context.Context, f LeadFilter) (rows []LeadRow, next string, err error)
	// DueLeads lists leads with a score whose NextChangeAt is at or before
	// t, oldest first.
	DueLeads(ctx context.Context, t time.Time, limit int) ([]string, error)
	ModelVersions(ctx context.Context, name string) ([]ModelVersion, error)
	ActiveModels(ctx context.Context) ([]ModelVersion, error)
	APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error)
	APIKeys(ctx context.Context) ([]APIKey, error)
	Job(ctx context.Context, id string) (*Job, error)
	AccountLists(ctx context.Context) ([]AccountList, error)
	// AccountListNames returns the lists containing domain and whether any
	// of them is a priority list.
	AccountListNames(ctx context.Context, domain string) (names []string, priority bool, err error)
	// LeadIDs pages through every lead id in id order, for re-scoring.
	LeadIDs(ctx context.Context, after string, limit int) ([]string, error)
	CountLeads(ctx context.Context) (int64, error)
}

// Tx is a write transaction. Reads inside it see its own writes.
type Tx interface {
	Reader
	UpsertLead(ctx context.Context, l *Lead) error
	UpsertAccount(ctx context.Context, a *Account) error
	// AddAlias maps alias (an external id, email or anonymous id) to lead.
	AddAlias(ctx context.Context, alias, leadID string) error
	// InsertEvent stores an event unless (source, message id) is known; it
	// reports whether the event is new and fills its Seq.
	InsertEvent(ctx context.Context, e *StoredEvent) (inserted bool, err error)
	// MoveEvents reassigns every event of fromLead (an anonymous lead) to
	// toLead and returns how many moved.
	MoveEvents(ctx context.Context, fromLead, toLead string) (int64, error)
	DeleteLead(ctx context.Context, id string) error
	PutScore(ctx context.Context, s *ScoreRecord) error
	AppendLedger(ctx context.Context, e *LedgerEntry) error
	PutModelVersion(ctx context.Context, v *ModelVersion) error
	// ActivateModel makes version the active one of its model name.
	ActivateModel(ctx context.Context, name, version string) error
	PutAPIKey(ctx context.Context, k *APIKey) error
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
	PutJob(ctx context.Context, j *Job) error
	PutAccountList(ctx context.Context, l AccountList) error
	AddToAccountList(ctx context.Context, list string, domains []string) error
	RemoveFromAccountList(ctx context.Context, list string, domains []string) error
	DeleteAccountList(ctx context.Context, name string) error
}

// BulkReader reads for many leads at once. A transaction of the SQL store
// implements it (as does its workspace view), so that a group commit reads
// what it needs in a few statements: on a networked database each
// statement is a round trip.
type BulkReader interface {
	// LeadsByID returns the leads that exist among ids, keyed by id.
	LeadsByID(ctx context.Context, ids []string) (map[string]*Lead, error)
	// AliasesOf resolves many aliases at once; unknown ones are absent.
	AliasesOf(ctx context.Context, aliases []string) (map[string]string, error)
	// EventsOf returns the events of many leads, each in time order.
	EventsOf(ctx context.Context, leadIDs []string) (map[string][]StoredEvent, error)
	// ScoresOf returns the current scores of many leads.
	ScoresOf(ctx context.Context, leadIDs []string) (map[string][]ScoreRecord, error)
}

// BulkTx writes many rows in as few statements as the database allows,
// with exactly the semantics of the single forms on Tx.
type BulkTx interface {
	BulkReader
	// InsertEvents stores events unless their (source, message id) is
	// known (also earlier in the same call), reporting per event whether it
	// was new and filling every Seq.
	InsertEvents(ctx context.Context, events []*StoredEvent) (inserted []bool, err error)
	PutScores(ctx context.Context, scores []*ScoreRecord) error
	AppendLedgerEntries(ctx context.Context, entries []*LedgerEntry) error
	UpsertLeads(ctx context.Context, leads []*Lead) error
	AddAliases(ctx context.Context, aliases map[string]string) error
}
