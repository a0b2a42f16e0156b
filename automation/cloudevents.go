package automation

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// EventTypePrefix turns a transition kind into a CloudEvents type:
// lead.qualified is com.leadscore.lead.qualified.
const EventTypePrefix = "com.leadscore."

// CloudEvent is a CloudEvents 1.0 event in structured JSON mode: the whole
// event, attributes and data, is the request body.
type CloudEvent struct {
	SpecVersion string `json:"specversion"`
	// ID is stable: the same transition always gets the same id, so a
	// receiver that sees an id twice (a retry, a replay, a recomputation
	// after a crash) can drop the copy.
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

// EventData is the data of a lead event: the transition, and the lead as it
// was, so a receiver can act without calling back.
type EventData struct {
	Transition
	Lead *LeadSummary `json:"lead,omitempty"`
}

// LeadSummary is the part of a lead a webhook carries.
type LeadSummary struct {
	ID        string `json:"id"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Title     string `json:"title,omitempty"`
	Country   string `json:"country,omitempty"`
	AccountID string `json:"account_id,omitempty"`
}

// Summarize reduces a lead for a webhook.
func Summarize(l *leadscore.Lead) *LeadSummary {
	if l == nil {
		return nil
	}
	return &LeadSummary{ID: l.ID, Email: l.Email, FirstName: l.FirstName, LastName: l.LastName, Title: l.Title, Country: l.Country, AccountID: l.AccountID}
}

// Source is the CloudEvents source of a workspace's events: the service's
// public base URL (or any URI naming the installation) and the workspace.
func Source(base string, ws leadscore.WorkspaceID) string {
	return strings.TrimRight(base, "/") + "/workspaces/" + string(ws)
}

// EventID derives a transition's event id from everything that makes it
// this transition, so that it is stable across retries, restarts and
// recomputation, and distinct from every other transition. The source is
// included so that two workspaces or installations never share ids.
func EventID(source string, t *Transition) string {
	h := sha256.New()
	parts := []string{
		source, string(t.Kind), t.LeadID, t.Model, t.From, t.To, t.At.UTC().Format(time.RFC3339Nano),
		t.Owner, t.Team, t.Rule, string(t.Via), t.Due.UTC().Format(time.RFC3339Nano), t.By,
	}
	if t.Score != nil {
		parts = append(parts, strconv.FormatFloat(*t.Score, 'g', -1, 64))
	}
	for _, p := range parts {
		// Length-prefixing keeps ("ab","c") and ("a","bc") apart.
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	sum := h.Sum(nil)
	return "evt_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20]))
}

// NewEvent builds the CloudEvent announcing a transition. lead may be nil.
// A model.activated transition (Model, To = the version, At, By) gets the
// model as subject and a data object of its own, without lead fields.
func NewEvent(source string, t Transition, lead *leadscore.Lead) (CloudEvent, error) {
	var data any = EventData{Transition: t, Lead: Summarize(lead)}
	subject := t.LeadID
	if t.Kind == KindModelActivated {
		subject = t.Model
		data = struct {
			Kind    Kind      `json:"kind"`
			Model   string    `json:"model"`
			Version string    `json:"version"`
			At      time.Time `json:"at"`
			By      string    `json:"by,omitempty"`
		}{t.Kind, t.Model, t.To, t.At, t.By}
	}
	body, err := json.Marshal(data)
	if err != nil {
		return CloudEvent{}, err
	}
	return CloudEvent{
		SpecVersion: "1.0", ID: EventID(source, &t), Source: source, Type: EventTypePrefix + string(t.Kind),
		Subject: subject, Time: t.At.UTC(), DataContentType: "application/json", Data: body,
	}, nil
}

// ModelActivation is the transition announcing that a model version became
// active, for NewEvent and Fanout.
func ModelActivation(model, version, by string, at time.Time) Transition {
	return Transition{Kind: KindModelActivated, Model: model, To: version, At: at, By: by}
}

// Body is the request body of an event: its JSON without HTML escaping, so
// that what is signed is exactly what a receiver reads.
func (e CloudEvent) Body() ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

// KindOf returns the transition kind of a CloudEvents type.
func KindOf(eventType string) (Kind, bool) {
	k, ok := strings.CutPrefix(eventType, EventTypePrefix)
	return Kind(k), ok
}
