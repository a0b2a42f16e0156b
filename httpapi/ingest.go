package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

// nativeEvent is one event of POST /api/v1/events.
type nativeEvent struct {
	LeadID      string          `json:"lead_id"`
	UserID      string          `json:"user_id"`
	Email       string          `json:"email"`
	AnonymousID string          `json:"anonymous_id"`
	Type        string          `json:"type"`
	Timestamp   json.RawMessage `json:"timestamp"`
	Properties  map[string]any  `json:"properties"`
	MessageID   string          `json:"message_id"`
	UserAgent   string          `json:"user_agent"`
	IP          string          `json:"ip"`
}

type eventResult struct {
	Index     int                    `json:"index"`
	MessageID string                 `json:"message_id,omitempty"`
	Status    leadscore.IngestStatus `json:"status"`
	LeadID    string                 `json:"lead_id,omitempty"`
	Error     string                 `json:"error,omitempty"`
}

type eventsResponse struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Rejected   int           `json:"rejected"`
	Results    []eventResult `json:"results"`
}

// nativeSource is the Source of events sent through the native API; the
// pair (source, message id) is what deduplicates.
const nativeSource = "api"

// parseNativeEvent turns one native event into a track message. The
// problem item names the field at fault.
func parseNativeEvent(raw []byte, received time.Time, maxBytes int) (leadscore.Message, *problemItem) {
	var m leadscore.Message
	if len(raw) > maxBytes {
		return m, &problemItem{Message: fmt.Sprintf("event is %d bytes; the limit is %d", len(raw), maxBytes)}
	}
	var ev nativeEvent
	if err := decodeStrict(raw, &ev); err != nil {
		ae := toAPIError(err)
		if len(ae.items) > 0 {
			it := ae.items[0]
			return m, &it
		}
		return m, &problemItem{Message: ae.detail}
	}
	m.Kind = leadscore.MsgTrack
	m.Source = nativeSource
	m.MessageID = strings.TrimSpace(ev.MessageID)
	m.Event = strings.TrimSpace(ev.Type)
	if m.Event == "" {
		return m, &problemItem{Field: "type", Message: "an event needs a type"}
	}
	lead, user := strings.TrimSpace(ev.LeadID), strings.TrimSpace(ev.UserID)
	if lead != "" && user != "" && lead != user {
		return m, &problemItem{Field: "user_id", Message: "lead_id and user_id name different leads; send one"}
	}
	m.UserID = lead
	if m.UserID == "" {
		m.UserID = user
	}
	m.AnonymousID = strings.TrimSpace(ev.AnonymousID)
	if email := strings.TrimSpace(ev.Email); email != "" {
		if !strings.Contains(email, "@") {
			return m, &problemItem{Field: "email", Message: fmt.Sprintf("%q is not an email address", email)}
		}
		// Message has no email field: an email identifies the lead the
		// way Segment's context.traits.email does.
		m.Traits = map[string]any{"email": email}
	}
	if m.UserID == "" && m.AnonymousID == "" && m.Traits == nil {
		return m, &problemItem{Field: "lead_id", Message: "an event needs lead_id, user_id, email or anonymous_id"}
	}
	m.Properties = ev.Properties
	m.UserAgent = strings.TrimSpace(ev.UserAgent)
	m.IP = strings.TrimSpace(ev.IP)
	m.ReceivedAt = received
	m.Timestamp = received
	if t, set, err := eventTime(ev.Timestamp); err != nil {
		return m, &problemItem{Field: "timestamp", Message: err.Error()}
	} else if set {
		m.Timestamp = t
	}
	if m.MessageID == "" {
		m.MessageID = ingest.DerivedMessageID(leadscore.MsgTrack, raw)
	}
	return m, nil
}

// eventTime reads an optional timestamp: an RFC 3339 string, a date, or
// unix seconds or milliseconds.
func eventTime(raw json.RawMessage) (time.Time, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, false, err
		}
		if strings.TrimSpace(s) == "" {
			return time.Time{}, false, nil
		}
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, false, fmt.Errorf("must be an RFC 3339 string")
	}
	t, err := ingest.ParseTime(s)
	if err != nil {
		return time.Time{}, false, err
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false, fmt.Errorf("time is out of range")
	}
	return t.UTC(), true, nil
}

// postEvents serves POST /api/v1/events: one event, or {"events": [...]}.
// A batch keeps its valid events and reports the others by index; a single
// event that is rejected is a 400.
func (s *server) postEvents(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	raws, batch, err := splitBatch(body, "events")
	if err != nil {
		return err
	}
	results := make([]eventResult, len(raws))
	var msgs []leadscore.Message
	var pos []int
	for i, raw := range raws {
		m, bad := parseNativeEvent(raw, rc.received, s.cfg.Limits.MaxMessageBytes)
		results[i] = eventResult{Index: i, MessageID: m.MessageID}
		if bad != nil {
			if !batch {
				s.metrics.countIngest("events", leadscore.IngestRejected)
				return invalid("the event is invalid", *bad)
			}
			results[i].Status = leadscore.IngestRejected
			results[i].Error = itemText(*bad)
			continue
		}
		msgs = append(msgs, m)
		pos = append(pos, i)
	}
	if len(msgs) > 0 {
		got, err := s.svc.Ingest(r.Context(), msgs)
		if err == nil && len(got) != len(msgs) {
			err = fmt.Errorf("ingest returned %d results for %d messages", len(got), len(msgs))
		}
		if err != nil {
			return serverSide(err)
		}
		for j, ir := range got {
			res := &results[pos[j]]
			res.Status, res.LeadID, res.Error = ir.Status, ir.LeadID, ir.Error
			if ir.MessageID != "" {
				res.MessageID = ir.MessageID
			}
		}
	}
	resp := eventsResponse{Results: results}
	for i := range results {
		switch results[i].Status {
		case leadscore.IngestAccepted:
			resp.Accepted++
		case leadscore.IngestDuplicate:
			resp.Duplicates++
		default:
			results[i].Status = leadscore.IngestRejected
			resp.Rejected++
		}
		s.metrics.countIngest("events", results[i].Status)
	}
	if !batch && resp.Rejected == 1 {
		return invalid("the event was rejected", problemItem{Message: results[0].Error})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func itemText(it problemItem) string {
	if it.Field != "" {
		return it.Field + ": " + it.Message
	}
	return it.Message
}

// decodeItems decodes each raw item into a T and runs check on it,
// collecting every problem with its index so that one answer lists them
// all.
func decodeItems[T any](raws []json.RawMessage, batch bool, check func(*T) *problemItem) ([]T, []problemItem) {
	out := make([]T, len(raws))
	var probs []problemItem
	for i, raw := range raws {
		var bad *problemItem
		if err := decodeStrict(raw, &out[i]); err != nil {
			ae := toAPIError(err)
			if len(ae.items) > 0 {
				bad = &ae.items[0]
			} else {
				bad = &problemItem{Message: ae.detail}
			}
		} else {
			bad = check(&out[i])
		}
		if bad != nil {
			if batch {
				idx := i
				bad.Index = &idx
			}
			probs = append(probs, *bad)
		}
	}
	return out, probs
}

type upsertResponse struct {
	Upserted int `json:"upserted"`
}

// postLeads serves POST /api/v1/leads: one lead or {"leads": [...]}. The
// request is all or nothing: any invalid lead rejects the request, with
// every problem listed.
func (s *server) postLeads(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	raws, batch, err := splitBatch(body, "leads")
	if err != nil {
		return err
	}
	leads, probs := decodeItems(raws, batch, func(l *leadscore.Lead) *problemItem {
		l.ID, l.Email = strings.TrimSpace(l.ID), strings.TrimSpace(l.Email)
		if l.ID == "" && l.Email == "" {
			return &problemItem{Field: "id", Message: "a lead needs an id or an email"}
		}
		return nil
	})
	if len(probs) > 0 {
		return invalid(fmt.Sprintf("%d of %d leads are invalid; none was stored", len(probs), len(raws)), probs...)
	}
	if len(leads) > 0 {
		if err := s.svc.UpsertLeads(r.Context(), leads); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, upsertResponse{Upserted: len(leads)})
	return nil
}

// postAccounts serves POST /api/v1/accounts like postLeads.
func (s *server) postAccounts(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	raws, batch, err := splitBatch(body, "accounts")
	if err != nil {
		return err
	}
	accts, probs := decodeItems(raws, batch, func(a *leadscore.Account) *problemItem {
		a.ID, a.Domain = strings.TrimSpace(a.ID), strings.TrimSpace(a.Domain)
		if a.ID == "" && a.Domain == "" {
			return &problemItem{Field: "id", Message: "an account needs an id or a domain"}
		}
		return nil
	})
	if len(probs) > 0 {
		return invalid(fmt.Sprintf("%d of %d accounts are invalid; none was stored", len(probs), len(raws)), probs...)
	}
	if len(accts) > 0 {
		if err := s.svc.UpsertAccounts(r.Context(), accts); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, upsertResponse{Upserted: len(accts)})
	return nil
}
