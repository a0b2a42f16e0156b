package ingest

import (
	"fmt"

	"github.com/leadscore/leadscore"
)

// RowError is one rejected row or line. It wraps a leadscore.Error with code
// invalid, so callers that only care about the code can use
// leadscore.CodeOf; callers that report to a person use Line and Column.
type RowError struct {
	// Line is the 1-based line where the row starts.
	Line int
	// Column is the column header (CSV) or JSON field the problem is in;
	// empty when the row as a whole is wrong.
	Column string
	Err    *leadscore.Error
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d: column %q: %s", e.Line, e.Column, e.Err.Message)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Err.Message)
}

func (e *RowError) Unwrap() error { return e.Err }

// Reason is the message without the position, for reports that print the
// position themselves.
func (e *RowError) Reason() string {
	if e.Column != "" {
		return fmt.Sprintf("column %q: %s", e.Column, e.Err.Message)
	}
	return e.Err.Message
}

func rowErr(line int, column, format string, args ...any) *RowError {
	return &RowError{Line: line, Column: column, Err: leadscore.Invalid(column, format, args...)}
}
