// Package leadscore holds the domain types shared by every part of the
// product: leads, accounts, events, model specifications, evaluations and the
// single error type. It imports only the standard library so that every
// adapter can depend on it without dragging in another adapter.
package leadscore

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error so that each edge (HTTP, CLI) can map it to
// its own vocabulary (status code, exit code) from one table.
type ErrorCode string

const (
	CodeInvalid      ErrorCode = "invalid"
	CodeNotFound     ErrorCode = "not_found"
	CodeConflict     ErrorCode = "conflict"
	CodeUnauthorized ErrorCode = "unauthorized"
	CodeForbidden    ErrorCode = "forbidden"
	CodeInternal     ErrorCode = "internal"
)

// Error is the one error type of the product. Field, when set, points at the
// offending input (a model path such as "categories.fit.rules[2].when", a CSV
// column, a JSON field).
type Error struct {
	Code    ErrorCode
	Message string
	Field   string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports bad input at field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first Error in err's chain, or CodeInternal
// for any other non-nil error.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Problems collects several independent input errors so that a user sees all
// of them at once instead of fixing one per run.
type Problems []*Error

func (p Problems) Error() string {
	switch len(p) {
	case 0:
		return "no problems"
	case 1:
		return p[0].Error()
	}
	return fmt.Sprintf("%s (and %d more problems)", p[0].Error(), len(p)-1)
}

// Unwrap exposes every problem to errors.Is and errors.As, so CodeOf sees
// the code of the first one.
func (p Problems) Unwrap() []error {
	out := make([]error, len(p))
	for i, e := range p {
		out[i] = e
	}
	return out
}

// Err returns nil when there are no problems, so callers can `return p.Err()`.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}
