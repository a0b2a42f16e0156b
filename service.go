package leadscore

import (
	"context"
	"time"
)

// MessageKind is the kind of an ingested message, as in Segment's spec.
type MessageKind string

const (
	MsgIdentify MessageKind = "identify"
	MsgTrack    MessageKind = "track"
	MsgPage     MessageKind = "page"
	MsgScreen   MessageKind = "screen"
	MsgGroup    MessageKind = "group"
	MsgAlias    MessageKind = "alias"
)

// Message is one validated ingestion message, from a Segment-compatible
// payload or the native API. Its Timestamp is already resolved (Segment's
// timestamp, or originalTimestamp corrected by sentAt against receivedAt).
type Message struct {
	Kind        MessageKind    `json:"type"`
	MessageID   string         `json:"messageId"`
	Source      string         `json:"source,omitempty"` // the write key's name, or "api"
	UserID      string         `json:"userId,omitempty"`
	AnonymousID string         `json:"anonymousId,omitempty"`
	PreviousID  string         `json:"previousId,omitempty"` // alias
	GroupID     string         `json:"groupId,omitempty"`    // group
	Event       string         `json:"event,omitempty"`      // track: the event type
	Name        string         `json:"name,omitempty"`       // page/screen name
	Properties  map[string]any `json:"properties,omitempty"`
	Traits      map[string]any `json:"traits,omitempty"`
	UserAgent   string         `json:"userAgent,omitempty"`
	IP          string         `json:"ip,omitempty"`
	Timestamp   time.Time      `json:"timestamp"`
	ReceivedAt  time.Time      `json:"receivedAt"`
}

// IngestStatus is what became of one message.
type IngestStatus string

const (
	IngestAccepted  IngestStatus = "accepted"
	IngestDuplicate IngestStatus = "duplicate" // same source and messageId seen before: not counted again
	IngestRejected  IngestStatus = "rejected"
)

// IngestResult reports on one message of a batch, in batch order.
type IngestResult struct {
	MessageID string       `json:"messageId"`
	Status    IngestStatus `json:"status"`
	LeadID    string       `json:"leadId,omitempty"`
	Error     string       `json:"error,omitempty"`
}

// LeadView is everything shown about one lead.
type LeadView struct {
	Lead    Lead          `json:"lead"`
	Account *Account      `json:"account,omitempty"`
	Scores  []ScoreRecord `json:"scores"`
}

// AccountView is an account with its people and its account score per model.
type AccountView struct {
	Account       Account            `json:"account"`
	People        []LeadRow          `json:"people"`
	AccountScores map[string]float64 `json:"account_scores"`
	ActivePeople  int                `json:"active_people"`
}

// UploadResult is the outcome of uploading a model file: the versions it
// created, or the validator's diagnostics when it was rejected.
type UploadResult struct {
	Versions    []ModelVersion `json:"versions,omitempty"`
	Diagnostics []Diagnostic   `json:"diagnostics,omitempty"`
}

// Diagnostic is a validator message with its position in the model file.
type Diagnostic struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// NewAPIKey is a key as created: Secret is shown once and never stored.
type NewAPIKey struct {
	APIKey
	Secret string `json:"secret"`
}

// Service is what the HTTP API, the CLI and the web UI do with leadscore.
// Every method works within one workspace. Errors carry codes (CodeInvalid,
// CodeNotFound...) that each edge maps to its own vocabulary.
type Service interface {
	// Ingest stores messages and updates scores. It returns when every
	// accepted message is committed; a message that fails validation is
	// rejected on its own and the rest are kept.
	Ingest(ctx context.Context, msgs []Message) ([]IngestResult, error)
	UpsertLeads(ctx context.Context, leads []Lead) error
	UpsertAccounts(ctx context.Context, accounts []Account) error

	GetLead(ctx context.Context, id string) (*LeadView, error)
	LeadEvents(ctx context.Context, id string, limit int) ([]StoredEvent, error)
	LeadHistory(ctx context.Context, id, model string, after int64, limit int) ([]LedgerEntry, error)
	// ScoreAsOf evaluates the lead from its stored events as of t, under
	// the active models (or the given version of one model).
	ScoreAsOf(ctx context.Context, id string, t time.Time, model, version string) ([]*Evaluation, error)
	ListLeads(ctx context.Context, f LeadFilter) ([]LeadRow, string, error)

	GetAccount(ctx context.Context, id string) (*AccountView, error)
	AccountLists(ctx context.Context) ([]AccountList, error)
	PutAccountList(ctx context.Context, l AccountList) error
	AddToAccountList(ctx context.Context, list string, domains []string) error
	RemoveFromAccountList(ctx context.Context, list string, domains []string) error
	DeleteAccountList(ctx context.Context, name string) error

	// UploadModel validates a model file and stores its models as new,
	// inactive versions. An invalid file is rejected whole, with the
	// diagnostics (err is then a CodeInvalid Error).
	UploadModel(ctx context.Context, filename string, source []byte, by string) (*UploadResult, error)
	// ModelVersions lists a model's versions, or every version of every
	// model when name is empty (each with its Active flag).
	ModelVersions(ctx context.Context, name string) ([]ModelVersion, error)
	ActiveModels(ctx context.Context) ([]ModelVersion, error)
	// ActivateModel makes a version active and starts a job that re-scores
	// every lead; scores stay readable meanwhile.
	ActivateModel(ctx context.Context, name, version string) (*Job, error)
	Job(ctx context.Context, id string) (*Job, error)

	CreateAPIKey(ctx context.Context, name string, scopes []Scope) (*NewAPIKey, error)
	APIKeys(ctx context.Context) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, id string) error
	// Authenticate checks a presented secret and returns its key.
	Authenticate(ctx context.Context, secret string) (*APIKey, error)
}
