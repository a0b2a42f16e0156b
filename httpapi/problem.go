package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/leadscore/leadscore"
)

// problem is an RFC 9457 problem detail. Code repeats the leadscore error
// code so that a client can tell causes apart that share a status.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Code      leadscore.ErrorCode `json:"code,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []problemItem       `json:"errors,omitempty"`
}

// problemItem is one field error or one model diagnostic.
type problemItem struct {
	Index    *int   `json:"index,omitempty"`
	Field    string `json:"field,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity,omitempty"`
	Message  string `json:"message"`
}

// apiError is an error that already knows its HTTP answer.
type apiError struct {
	status     int
	code       leadscore.ErrorCode
	detail     string
	items      []problemItem
	retryAfter time.Duration
	header     http.Header
	// cause is logged, never shown: it may hold internals.
	cause error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.detail + ": " + e.cause.Error()
	}
	return e.detail
}

func (e *apiError) Unwrap() error { return e.cause }

// statusOf is the one table from leadscore error codes to HTTP statuses.
func statusOf(code leadscore.ErrorCode) int {
	switch code {
	case leadscore.CodeInvalid:
		return http.StatusBadRequest
	case leadscore.CodeNotFound:
		return http.StatusNotFound
	case leadscore.CodeConflict:
		return http.StatusConflict
	case leadscore.CodeUnauthorized:
		return http.StatusUnauthorized
	case leadscore.CodeForbidden:
		return http.StatusForbidden
	default:
		return http.StatusInternalServerError
	}
}

func newError(status int, code leadscore.ErrorCode, detail string) *apiError {
	return &apiError{status: status, code: code, detail: detail}
}

func invalid(detail string, items ...problemItem) *apiError {
	return &apiError{status: http.StatusBadRequest, code: leadscore.CodeInvalid, detail: detail, items: items}
}

func fieldItem(field, msg string) problemItem { return problemItem{Field: field, Message: msg} }

// unavailable is a server-side problem that a retry may fix.
func unavailable(detail string, cause error) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, code: leadscore.CodeInternal,
		detail: detail, retryAfter: time.Second, cause: cause}
}

func internal(cause error) *apiError {
	return &apiError{status: http.StatusInternalServerError, code: leadscore.CodeInternal,
		detail: "internal error", cause: cause}
}

// toAPIError maps any error a handler returns to its answer.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable("the request did not finish in time", err)
	}
	var probs leadscore.Problems
	if errors.As(err, &probs) {
		out := invalid(probs.Error())
		for _, p := range probs {
			out.items = append(out.items, fieldItem(p.Field, p.Message))
		}
		return out
	}
	var le *leadscore.Error
	if !errors.As(err, &le) || le.Code == leadscore.CodeInternal || le.Code == "" {
		return internal(err)
	}
	out := &apiError{status: statusOf(le.Code), code: le.Code, detail: publicMessage(le), cause: err}
	if le.Field != "" {
		out.items = []problemItem{fieldItem(le.Field, le.Message)}
	}
	return out
}

// publicMessage leaves out the wrapped cause, which may describe
// internals (a SQL error under a not_found).
func publicMessage(e *leadscore.Error) string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(statusOf(e.Code))
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	return msg
}

func tooLarge(limit int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, leadscore.CodeInvalid,
		"the request body is larger than "+strconv.FormatInt(limit, 10)+" bytes")
}

// writeProblem writes e as application/problem+json.
func writeProblem(w http.ResponseWriter, requestID string, e *apiError) {
	for k, vs := range e.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", retryAfterSeconds(e.retryAfter))
	}
	detail := e.detail
	if e.status >= 500 && e.code == leadscore.CodeInternal && detail == "internal error" {
		detail = "internal error; the server log has the details under request id " + requestID
	}
	p := problem{
		Type:      "about:blank",
		Title:     http.StatusText(e.status),
		Status:    e.status,
		Detail:    detail,
		Code:      e.code,
		RequestID: requestID,
		Errors:    e.items,
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(p)
}

// retryAfterSeconds rounds up: a client told "0" would retry at once.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
