package automation

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
)

// maxURLLength keeps stored URLs and request lines reasonable.
const maxURLLength = 2048

// ValidateURL checks a webhook URL and returns it parsed: absolute http or
// https with a host, no user name or password (secrets belong in the
// signing secret, not in a URL that shows up in logs and listings) and no
// fragment (never sent, so it would only mislead). Errors are CodeInvalid
// on field "url" and say how to fix the URL.
func ValidateURL(raw string) (*url.URL, error) {
	bad := func(format string, args ...any) (*url.URL, error) {
		return nil, leadscore.Invalid("url", format, args...)
	}
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return bad("a webhook needs a URL such as https://example.com/hooks/leadscore")
	case len(s) > maxURLLength:
		return bad("the URL is %d characters long; the limit is %d", len(s), maxURLLength)
	case s != raw:
		return bad("the URL has spaces around it")
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		msg := err.Error()
		if e, ok := err.(*url.Error); ok {
			ue = e
			msg = ue.Err.Error()
		}
		return bad("%q is not a valid URL: %s", raw, msg)
	}
	switch {
	case u.Scheme == "":
		return bad("%q is not absolute; write it with https:// (or http://) and the host", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("the URL scheme is %q; webhooks are delivered over http or https", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return bad("%q has no host; write it as %s://host/path", raw, u.Scheme)
	case u.User != nil:
		return bad("the URL contains a user name or password; leave credentials out: every request is signed with the webhook's secret")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return bad("the URL has a #fragment, which is never sent to the server; remove it")
	case u.Port() != "" && !validPort(u.Port()):
		return bad("the URL's port %q is not a number between 1 and 65535", u.Port())
	}
	return u, nil
}

func validPort(p string) bool {
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return n >= 1
}

// Subscription is a receiver's choice of events.
type Subscription struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Types are transition kinds or patterns ("lead.*"); empty means all.
	Types []string `json:"types,omitempty"`
	// Models limits lead events to these models; empty means all. Events
	// that are not about a model (assignments, stages) always pass.
	Models []string `json:"models,omitempty"`
	// MinScoreDelta drops lead.score_changed events whose change is
	// smaller (in absolute points).
	MinScoreDelta float64 `json:"min_score_delta,omitempty"`
	Disabled      bool    `json:"disabled,omitempty"`
}

// Validate checks a subscription as an API would before saving it, and
// reports every problem at once.
func (s *Subscription) Validate() error {
	var probs leadscore.Problems
	if _, err := ValidateURL(s.URL); err != nil {
		probs = append(probs, err.(*leadscore.Error))
	}
	kinds := make([]string, 0, len(Kinds()))
	for _, k := range Kinds() {
		kinds = append(kinds, string(k))
	}
	for i, t := range s.Types {
		if _, err := path.Match(t, ""); err != nil || strings.TrimSpace(t) == "" {
			probs = append(probs, leadscore.Invalid(fmt.Sprintf("types[%d]", i), "bad event type pattern %q", t))
			continue
		}
		t = strings.TrimPrefix(t, EventTypePrefix)
		matched := slices.ContainsFunc(kinds, func(k string) bool { ok, _ := path.Match(t, k); return ok })
		if !matched {
			msg := fmt.Sprintf("unknown event type %q (the types are %s)", t, yamlfile.OrList(kinds))
			if sg := yamlfile.Suggest(t, kinds); sg != "" {
				msg = fmt.Sprintf("unknown event type %q; did you mean %q?", t, sg)
			}
			probs = append(probs, leadscore.Invalid(fmt.Sprintf("types[%d]", i), "%s", msg))
		}
	}
	if s.MinScoreDelta < 0 || math.IsNaN(s.MinScoreDelta) || math.IsInf(s.MinScoreDelta, 0) {
		probs = append(probs, leadscore.Invalid("min_score_delta", "must be a number of points, 0 or more"))
	}
	return probs.Err()
}

// Wants reports whether the subscription receives a transition.
func (s *Subscription) Wants(t *Transition) bool {
	if s.Disabled {
		return false
	}
	if len(s.Types) > 0 && !slices.ContainsFunc(s.Types, func(p string) bool {
		ok, _ := path.Match(strings.TrimPrefix(p, EventTypePrefix), string(t.Kind))
		return ok
	}) {
		return false
	}
	if len(s.Models) > 0 && t.Model != "" && !slices.Contains(s.Models, t.Model) {
		return false
	}
	if t.Kind == KindScoreChanged && math.Abs(t.Delta) < s.MinScoreDelta {
		return false
	}
	return true
}

// OutboxMessage is one event for one subscription, written to the outbox in
// the transaction that made the transition.
type OutboxMessage struct {
	// ID identifies the delivery (subscription and event), so writing the
	// same message twice is a no-op for a store with a unique key on it.
	ID             string `json:"id"`
	SubscriptionID string `json:"subscription_id"`
	EventID        string `json:"event_id"`
	Type           string `json:"type"`
	LeadID         string `json:"lead_id,omitempty"`
	Body           []byte `json:"body"`
}

// DeliveryID is the outbox id of an event for a subscription.
func DeliveryID(subscriptionID, eventID string) string {
	sum := sha256.Sum256([]byte(subscriptionID + "\x00" + eventID))
	return "dlv_" + hex.EncodeToString(sum[:16])
}

// Fanout turns transitions into outbox messages for the subscriptions that
// want them, in transition order then subscription order. Each event is
// encoded once and shared by every subscription.
func Fanout(subs []Subscription, ts []Transition, source string, lead *leadscore.Lead) ([]OutboxMessage, error) {
	var out []OutboxMessage
	for i := range ts {
		t := &ts[i]
		var ev *CloudEvent
		var body []byte
		for j := range subs {
			s := &subs[j]
			if !s.Wants(t) {
				continue
			}
			if ev == nil {
				e, err := NewEvent(source, *t, lead)
				if err != nil {
					return nil, err
				}
				if body, err = e.Body(); err != nil {
					return nil, err
				}
				ev = &e
			}
			out = append(out, OutboxMessage{
				ID: DeliveryID(s.ID, ev.ID), SubscriptionID: s.ID, EventID: ev.ID, Type: ev.Type, LeadID: t.LeadID, Body: body,
			})
		}
	}
	return out, nil
}
