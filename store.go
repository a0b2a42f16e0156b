package leadscore

import (
	"context"
	"encoding/json"
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
	// Digest is Evaluation.Digest of the stored evaluation (zero when
	// unknown): writers may set it to spare the store computing it, and
	// score summaries carry it so a writer can tell whether a new
	// evaluation needs writing at all.
	Digest uint64 `json:"-"`
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
	ID     string   `json:"id"`
	Kind   string   `json:"kind"`
	State  JobState `json:"state"`
	Done   int64    `json:"done"`
	Total  int64    `json:"total"`
	Detail string   `json:"detail,omitempty"`
	Error  string   `json:"error,omitempty"`
	// Cursor is how far the job got, in its own terms (an activation: the
	// last lead id re-scored), so that it can continue after a restart.
	Cursor    string    `json:"cursor,omitempty"`
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
	Owners       []string // any of these owners, ignoring case and surrounding space: a sales team's leads
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
	// LedgerTail returns the last limit entries of a lead's ledger (of one
	// model when model is set), oldest first, and how many there are in
	// all: the recent past of a busy lead without reading all of it.
	LedgerTail(ctx context.Context, leadID, model string, limit int) ([]LedgerEntry, int, error)
	ListLeads(ctx context.Context, f LeadFilter) (rows []LeadRow, next string, err error)
	// DueLeads lists leads with a score whose NextChangeAt is at or before
	// t, oldest first.
	DueLeads(ctx context.Context, t time.Time, limit int) ([]string, error)
	ModelVersions(ctx context.Context, name string) ([]ModelVersion, error)
	ActiveModels(ctx context.Context) ([]ModelVersion, error)
	APIKeyByPrefix(ctx context.Context, prefix string) (*APIKey, error)
	APIKeys(ctx context.Context) ([]APIKey, error)
	Job(ctx context.Context, id string) (*Job, error)
	// UnfinishedJobs lists the jobs still queued or running, oldest first:
	// after a restart, the ones to continue.
	UnfinishedJobs(ctx context.Context) ([]Job, error)
	AccountLists(ctx context.Context) ([]AccountList, error)
	// AccountListNames returns the lists containing domain and whether any
	// of them is a priority list.
	AccountListNames(ctx context.Context, domain string) (names []string, priority bool, err error)
	// LeadIDs pages through every lead id in id order, for re-scoring.
	LeadIDs(ctx context.Context, after string, limit int) ([]string, error)
	// LeadKeysByAccount pages through every lead in (account, id) order,
	// anonymous leads included, so that an account's people come
	// together; after is the last key of the previous page (zero for the
	// first). Leads without an account come first.
	LeadKeysByAccount(ctx context.Context, after LeadKey, limit int) ([]LeadKey, error)
	CountLeads(ctx context.Context) (int64, error)
	UserReader
}

// UserReader reads the people who sign in to the web UI and their sessions.
type UserReader interface {
	User(ctx context.Context, id string) (*User, error)
	// UserByEmail finds a user by normalised email, or not_found.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// Users lists every user, disabled ones included, by email.
	Users(ctx context.Context) ([]User, error)
	// Session returns a session by id (the hash of its token), or not_found.
	Session(ctx context.Context, id string) (*Session, error)
}

// UserWriter writes users and sessions.
type UserWriter interface {
	// PutUser creates a user or replaces the one with u.ID. An email
	// another user has is a conflict. A zero CreatedAt becomes now.
	PutUser(ctx context.Context, u *User) error
	PutSession(ctx context.Context, s *Session) error
	// TouchSession records activity; the recorded time never moves back.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession ends one session; an unknown one is not an error.
	DeleteSession(ctx context.Context, id string) error
	// DeleteSessions ends every session of a user, and every session of
	// anyone last seen before idleBefore (a zero time: none by age).
	DeleteSessions(ctx context.Context, userID string, idleBefore time.Time) (int64, error)
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
	UserWriter
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
	// ScoreSummariesOf is ScoresOf without the evaluations, for a caller
	// that compares scores and need not read (and decode) explanations.
	ScoreSummariesOf(ctx context.Context, leadIDs []string) (map[string][]ScoreRecord, error)
	// PeersOf returns the people of many accounts active since a time,
	// per account, as Peers with no lead left out returns them; accounts
	// with nobody active are absent.
	PeersOf(ctx context.Context, accountIDs []string, since time.Time) (map[string][]Peer, error)
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

// LeadAutomation is what automation remembers about one lead: its lifecycle
// stage, owner and pending follow-up deadline in columns a query can use,
// and the whole state (automation.LeadState) as JSON that only automation
// reads.
type LeadAutomation struct {
	LeadID    string `json:"lead_id"`
	AccountID string `json:"account_id,omitempty"`
	Stage     string `json:"stage"`
	Owner     string `json:"owner,omitempty"`
	// OpenMQL says the lead counts against its owner's capacity.
	OpenMQL bool `json:"open_mql"`
	// SLADue is the pending follow-up deadline, indexed so the due job
	// finds it; zero when no timer runs.
	SLADue    time.Time       `json:"sla_due,omitzero"`
	State     json.RawMessage `json:"state"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// HistoryEntry is one transition of a lead (qualified, assigned, stage
// changed, SLA breached...), appended in the transaction that made it.
// EventID is the CloudEvents id the transition is announced with.
type HistoryEntry struct {
	Seq     int64           `json:"seq"`
	LeadID  string          `json:"lead_id"`
	Kind    string          `json:"kind"`
	At      time.Time       `json:"at"`
	Owner   string          `json:"owner,omitempty"`
	EventID string          `json:"event_id"`
	Data    json.RawMessage `json:"data"`
}

// OutcomeResult is how a deal ended.
type OutcomeResult string

const (
	OutcomeWon  OutcomeResult = "won"
	OutcomeLost OutcomeResult = "lost"
)

// Outcome is what sales reports a lead became: won or lost, the value and
// when. Outcomes are what models are measured against. A lead has at most
// one outcome; recording another replaces it.
type Outcome struct {
	LeadID     string        `json:"lead_id"`
	Result     OutcomeResult `json:"result"`
	Value      *float64      `json:"value,omitempty"`
	Currency   string        `json:"currency,omitempty"`
	At         time.Time     `json:"at"`
	Reason     string        `json:"reason,omitempty"`
	By         string        `json:"by,omitempty"`
	RecordedAt time.Time     `json:"recorded_at"`
}

// RoutingFile is one uploaded version of the routing file; at most one is
// active.
type RoutingFile struct {
	Version   string    `json:"version"`
	Name      string    `json:"name,omitempty"`
	Filename  string    `json:"filename,omitempty"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Active    bool      `json:"active"`
}

// Webhook is a subscription of a URL to events. Secret signs every request
// (a whsec_ value); it is shown when the webhook is created and otherwise
// never leaves the service.
type Webhook struct {
	ID            string    `json:"id"`
	URL           string    `json:"url"`
	Types         []string  `json:"types,omitempty"`
	Models        []string  `json:"models,omitempty"`
	MinScoreDelta float64   `json:"min_score_delta,omitempty"`
	Description   string    `json:"description,omitempty"`
	Secret        string    `json:"-"`
	Disabled      bool      `json:"disabled"`
	DisabledAt    time.Time `json:"disabled_at,omitzero"`
	// DisabledReason says why: a person, or the receiver answering 410.
	DisabledReason string    `json:"disabled_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// DeliveryState is where a delivery stands.
type DeliveryState string

const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed: the retry policy is exhausted.
	DeliveryFailed DeliveryState = "failed"
	// DeliveryCancelled: the webhook was disabled or deleted first.
	DeliveryCancelled DeliveryState = "cancelled"
)

// Delivery is one event for one webhook: an outbox row, written in the
// transaction of the change it announces and then delivered in the
// background. Its ID is derived from the webhook and the event id, so
// writing it twice is harmless.
type Delivery struct {
	ID            string            `json:"id"`
	WebhookID     string            `json:"webhook_id"`
	EventID       string            `json:"event_id"`
	Type          string            `json:"type"`
	LeadID        string            `json:"lead_id,omitempty"`
	Body          json.RawMessage   `json:"body"`
	State         DeliveryState     `json:"state"`
	Attempts      int               `json:"attempts"`
	FirstAttempt  time.Time         `json:"first_attempt_at,omitzero"`
	NextAttempt   time.Time         `json:"next_attempt_at,omitzero"`
	LastStatus    int               `json:"last_status,omitempty"`
	LastError     string            `json:"last_error,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	DeliveredAt   time.Time         `json:"delivered_at,omitzero"`
	AttemptDetail []DeliveryAttempt `json:"attempt_detail,omitempty"`
}

// DeliveryAttempt is the record of one POST of a delivery.
type DeliveryAttempt struct {
	DeliveryID string    `json:"delivery_id"`
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	Outcome    string    `json:"outcome"`
	Status     int       `json:"status,omitempty"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
	DurationMS int64     `json:"duration_ms"`
}

// DeliveryFilter selects deliveries for listing, newest first. After is
// the cursor returned with the previous page.
type DeliveryFilter struct {
	WebhookID string
	LeadID    string
	State     DeliveryState
	After     string
	Limit     int
}

// AutomationReader reads what automation stores. Like BulkReader it is a
// separate interface that the SQL store's workspace views and
// transactions implement.
type AutomationReader interface {
	// LeadAutomations returns the stored states of the leads that have one.
	LeadAutomations(ctx context.Context, leadIDs []string) (map[string]*LeadAutomation, error)
	// OwnerLoads counts each owner's open MQLs.
	OwnerLoads(ctx context.Context) (map[string]int, error)
	// OwnerBreaches counts each owner's SLA breaches in the history.
	OwnerBreaches(ctx context.Context) (map[string]int, error)
	// AccountOwner is the owner most recently given another lead of the
	// account, or "".
	AccountOwner(ctx context.Context, accountID, exceptLead string) (string, error)
	// SLADueLeads lists leads whose follow-up deadline is at or before t,
	// earliest first.
	SLADueLeads(ctx context.Context, t time.Time, limit int) ([]string, error)
	RoutingCursors(ctx context.Context) (map[string]string, error)
	// ActiveRoutingFile is not_found when none was uploaded.
	ActiveRoutingFile(ctx context.Context) (*RoutingFile, error)
	History(ctx context.Context, leadID string, after int64, limit int) ([]HistoryEntry, error)
	// HistoryTail returns the last limit transitions of a lead, oldest
	// first, and how many there are in all.
	HistoryTail(ctx context.Context, leadID string, limit int) ([]HistoryEntry, int, error)
	// Outcome is not_found when none was recorded.
	Outcome(ctx context.Context, leadID string) (*Outcome, error)
	// OutcomesOf returns the recorded outcomes of many leads; leads
	// without one are absent.
	OutcomesOf(ctx context.Context, leadIDs []string) (map[string]*Outcome, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	Webhook(ctx context.Context, id string) (*Webhook, error)
	Deliveries(ctx context.Context, f DeliveryFilter) (ds []Delivery, next string, err error)
	Delivery(ctx context.Context, id string) (*Delivery, error)
	DeliveryAttempts(ctx context.Context, deliveryID string) ([]DeliveryAttempt, error)
	// DueDeliveries lists pending deliveries whose next attempt is at or
	// before t, earliest first.
	DueDeliveries(ctx context.Context, t time.Time, limit int) ([]Delivery, error)
}

// AutomationTx writes what automation stores, in the transaction of the
// change that caused it.
type AutomationTx interface {
	AutomationReader
	PutLeadAutomations(ctx context.Context, states []*LeadAutomation) error
	// PutRoutingCursors stores the teams' round-robin turns given (others
	// are kept).
	PutRoutingCursors(ctx context.Context, cursors map[string]string) error
	// PutRoutingFile stores a version and makes it the active one.
	PutRoutingFile(ctx context.Context, f *RoutingFile) error
	// AppendHistory fills each entry's Seq.
	AppendHistory(ctx context.Context, entries []*HistoryEntry) error
	PutOutcome(ctx context.Context, o *Outcome) error
	PutWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook and cancels its pending deliveries.
	DeleteWebhook(ctx context.Context, id string) error
	// EnqueueDeliveries writes outbox rows; a delivery whose id exists is
	// left as it is.
	EnqueueDeliveries(ctx context.Context, ds []*Delivery) error
	// UpdateDelivery stores a delivery's state, attempts and schedule.
	UpdateDelivery(ctx context.Context, d *Delivery) error
	AddDeliveryAttempt(ctx context.Context, a *DeliveryAttempt) error
}
