package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/ingest"
)

// segmentResult is one message's outcome in a Segment response. Names
// follow Segment's camelCase, as the rest of that payload does.
type segmentResult struct {
	Index     int                    `json:"index"`
	MessageID string                 `json:"messageId,omitempty"`
	Status    leadscore.IngestStatus `json:"status"`
	LeadID    string                 `json:"leadId,omitempty"`
	Error     string                 `json:"error,omitempty"`
}

type segmentResponse struct {
	Success    bool            `json:"success"`
	Accepted   int             `json:"accepted,omitempty"`
	Duplicates int             `json:"duplicates,omitempty"`
	Rejected   int             `json:"rejected,omitempty"`
	Results    []segmentResult `json:"results,omitempty"`
}

// segment serves /v1/batch (kind "") and the single-call routes.
//
// SDKs drop a batch for good on a 4xx and retry it on a 5xx, so the only
// 4xx answers are for problems a retry cannot fix: a bad key (401), a body
// over the limit (413), a body that is not a JSON payload (400), and too
// many requests (429, which SDKs retry). Anything that goes wrong on the
// server is a 5xx, and the client's retry is deduplicated by messageId.
func (s *server) segment(kind leadscore.MessageKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
		var key *leadscore.APIKey
		if user, _, ok := r.BasicAuth(); ok && user != "" {
			k, err := s.segmentKey(r.Context(), rc, user)
			if err != nil {
				return err
			}
			key = k
		}
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		opt := ingest.SegmentOptions{MaxMessageBytes: s.cfg.Limits.MaxMessageBytes}
		var p *ingest.SegmentPayload
		if kind == "" {
			p, err = ingest.ParseSegmentBatch(body, rc.received, opt)
		} else {
			p, err = ingest.ParseSegmentCall(kind, body, rc.received, opt)
		}
		if err != nil {
			return invalid(publicMessage(asLeadscoreError(err)))
		}
		if key == nil {
			k, err := s.segmentKey(r.Context(), rc, p.WriteKey)
			if err != nil {
				return err
			}
			key = k
		}

		msgs := make([]leadscore.Message, 0, len(p.Items))
		for i := range p.Items {
			if p.Items[i].OK() {
				m := p.Items[i].Message
				m.Source = key.Name
				msgs = append(msgs, m)
			}
		}
		var results []leadscore.IngestResult
		if len(msgs) > 0 {
			results, err = s.svc.Ingest(r.Context(), msgs)
			if err == nil && len(results) != len(msgs) {
				err = fmt.Errorf("ingest returned %d results for %d messages", len(results), len(msgs))
			}
			if err != nil {
				return serverSide(err)
			}
		}

		resp := segmentResponse{Success: true}
		out := make([]segmentResult, len(p.Items))
		next := 0
		for i := range p.Items {
			it := &p.Items[i]
			res := segmentResult{Index: i, MessageID: it.Message.MessageID}
			if it.OK() {
				ir := results[next]
				next++
				res.Status, res.LeadID, res.Error = ir.Status, ir.LeadID, ir.Error
				if ir.MessageID != "" {
					res.MessageID = ir.MessageID
				}
			} else {
				res.Status, res.Error = leadscore.IngestRejected, it.Err
			}
			switch res.Status {
			case leadscore.IngestAccepted:
				resp.Accepted++
			case leadscore.IngestDuplicate:
				resp.Duplicates++
			default:
				res.Status = leadscore.IngestRejected
				resp.Rejected++
			}
			s.metrics.countIngest("segment", res.Status)
			out[i] = res
		}
		if resp.Rejected > 0 {
			resp.Results = out
		} else {
			resp.Accepted, resp.Duplicates = 0, 0
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
}

// segmentKey authenticates a write key for the Segment routes. Every key
// problem is a 401, as Segment answers; a key without the write scope is a
// key that cannot send here.
func (s *server) segmentKey(ctx context.Context, rc *reqCtx, secret string) (*leadscore.APIKey, error) {
	if secret == "" {
		return nil, unauthorized("no write key: send it as the HTTP Basic user name or as writeKey in the body", "Basic")
	}
	key, err := s.authenticate(ctx, secret)
	if err != nil {
		if ae := toAPIError(err); ae.status == http.StatusUnauthorized {
			return nil, unauthorized(ae.detail, "Basic")
		}
		return nil, err
	}
	if err := s.admit(rc, key, leadscore.ScopeWrite, http.StatusUnauthorized); err != nil {
		if ae := toAPIError(err); ae.status == http.StatusUnauthorized {
			return nil, unauthorized(ae.detail, "Basic")
		}
		return nil, err
	}
	return key, nil
}

// serverSide maps a failure of the service on an ingestion route to a 5xx
// whatever its code: the messages were valid, so a 4xx would make the SDK
// drop them.
func serverSide(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable("the events could not be stored in time; retry", err)
	}
	e := internal(err)
	e.detail = "the events could not be stored; retry"
	e.retryAfter = time.Second
	return e
}

func asLeadscoreError(err error) *leadscore.Error {
	var le *leadscore.Error
	if errors.As(err, &le) {
		return le
	}
	return &leadscore.Error{Code: leadscore.CodeInvalid, Message: err.Error()}
}
