package leadscore

import (
	"context"
	"encoding/json"
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
	// Automation is the lead's stage, owner and deadline; absent for a
	// lead automation has not seen yet.
	Automation *AutomationView `json:"automation,omitempty"`
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

// ModelTestReport is the outcome of running fixture cases against a model
// file: every case, passed or not.
type ModelTestReport struct {
	Diagnostics []Diagnostic    `json:"diagnostics,omitempty"`
	Cases       []ModelTestCase `json:"cases"`
	Passed      int             `json:"passed"`
	Failed      int             `json:"failed"`
}

// ModelTestCase is one fixture case's result. Failures are short phrases
// ("score 60, want 65"); none means it passed.
type ModelTestCase struct {
	Name        string   `json:"name"`
	Line        int      `json:"line"`
	Model       string   `json:"model,omitempty"`
	Failures    []string `json:"failures,omitempty"`
	Explanation []string `json:"explanation,omitempty"`
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
	// LeadHistoryTail returns the last limit score changes (of one model
	// when model is set), oldest first, and how many there are in all.
	LeadHistoryTail(ctx context.Context, id, model string, limit int) ([]LedgerEntry, int, error)
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
	// ValidateModel checks a model file and stores nothing: the errors and
	// warnings UploadModel would report.
	ValidateModel(ctx context.Context, filename string, source []byte) ([]Diagnostic, error)
	// TestModel runs fixture cases (a model's *.tests.yaml) against a model
	// file, storing nothing. A model or tests file with errors is
	// CodeInvalid, with the diagnostics in the report.
	TestModel(ctx context.Context, filename string, source, tests []byte) (*ModelTestReport, error)
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

	// LeadAction performs a sales action (accept, reject, recycle,
	// set_stage, assign). A move the lifecycle forbids is CodeConflict; an
	// action that changes nothing succeeds and records nothing.
	LeadAction(ctx context.Context, id string, a LeadAction) (*AutomationView, error)
	LeadAutomation(ctx context.Context, id string) (*AutomationView, error)
	// RecordOutcome stores won or lost, with the value and date.
	RecordOutcome(ctx context.Context, o Outcome) (*Outcome, error)
	// LeadTimeline lists a lead's transitions (qualified, assigned, stage
	// changes, SLA breaches), oldest first, after seq after.
	LeadTimeline(ctx context.Context, id string, after int64, limit int) ([]HistoryEntry, error)
	// LeadTimelineTail returns the last limit transitions, oldest first,
	// and how many there are in all.
	LeadTimelineTail(ctx context.Context, id string, limit int) ([]HistoryEntry, int, error)
	// UploadRouting validates a routing file and makes it active; an
	// invalid file is refused whole, with the diagnostics.
	UploadRouting(ctx context.Context, filename string, source []byte, by string) (*RoutingUpload, error)
	ActiveRouting(ctx context.Context) (*RoutingFile, error)
	// Owners lists owners with their open MQLs and SLA breaches.
	Owners(ctx context.Context) ([]OwnerStats, error)

	CreateWebhook(ctx context.Context, w Webhook) (*NewWebhook, error)
	Webhooks(ctx context.Context) ([]Webhook, error)
	GetWebhook(ctx context.Context, id string) (*Webhook, error)
	UpdateWebhook(ctx context.Context, w Webhook) (*Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
	// TestWebhook sends a signed test event now and reports the answer.
	TestWebhook(ctx context.Context, id string) (*DeliveryAttempt, error)
	Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, string, error)
	// GetDelivery returns a delivery with its attempts.
	GetDelivery(ctx context.Context, id string) (*Delivery, error)
	// ReplayDelivery sends a delivery again with the same event id.
	ReplayDelivery(ctx context.Context, id string) (*Delivery, error)

	// CreateUser adds a person who signs in to the web UI.
	CreateUser(ctx context.Context, u NewUser) (*User, error)
	Users(ctx context.Context) ([]User, error)
	// UpdateUser changes a user; a new role or password, or disabling,
	// ends the user's sessions.
	UpdateUser(ctx context.Context, id string, ch UserChange) (*User, error)
	// LeadAccess is which leads u may open and act on: every lead, or
	// those of u's team (see LeadAccess).
	LeadAccess(ctx context.Context, u User) (*LeadAccess, error)
	// SignIn checks a password and starts a session. Every failure is the
	// same CodeUnauthorized error.
	SignIn(ctx context.Context, email, password string) (*NewSession, error)
	// SessionUser returns who a session token belongs to, unless the
	// session has been idle longer than idle or the user is disabled.
	SessionUser(ctx context.Context, token string, idle time.Duration) (*SignedIn, error)
	SignOut(ctx context.Context, token string) error
}

// LeadAction is something sales does to a lead: accept, reject (with a
// reason), recycle (optionally resetting the behaviour score), set_stage or
// assign (to an owner, optionally of a team).
type LeadAction struct {
	Action     string `json:"action"`
	Stage      string `json:"stage,omitempty"`
	Owner      string `json:"owner,omitempty"`
	Team       string `json:"team,omitempty"`
	Reason     string `json:"reason,omitempty"`
	ResetScore bool   `json:"reset_score,omitempty"`
	// By is who did it; the HTTP API sets it to the API key's name.
	By string `json:"by,omitempty"`
}

// AutomationView is where a lead stands in its lifecycle: stage, owner,
// pending follow-up deadline, outcome, and the whole automation state
// (who qualified it and when, the routing rule that chose the owner, the
// SLA timer).
type AutomationView struct {
	LeadID  string          `json:"lead_id"`
	Stage   string          `json:"stage"`
	Owner   string          `json:"owner,omitempty"`
	SLADue  time.Time       `json:"sla_due,omitzero"`
	State   json.RawMessage `json:"state,omitempty"`
	Outcome *Outcome        `json:"outcome,omitempty"`
}

// RoutingUpload is the outcome of uploading a routing file: the stored,
// now active version, or the validator's diagnostics when it was refused.
type RoutingUpload struct {
	File        *RoutingFile `json:"file,omitempty"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}

// OwnerStats is one owner of the routing file with their workload.
type OwnerStats struct {
	Name     string   `json:"name"`
	Email    string   `json:"email,omitempty"`
	Capacity *int     `json:"capacity,omitempty"`
	Teams    []string `json:"teams,omitempty"`
	OpenMQLs int      `json:"open_mqls"`
	Breaches int      `json:"sla_breaches"`
	// InFile is false for an owner who still holds leads but is no longer
	// in the active routing file.
	InFile bool `json:"in_file"`
}

// NewWebhook is a webhook as created: Secret is shown this once.
type NewWebhook struct {
	Webhook
	Secret string `json:"secret"`
}
