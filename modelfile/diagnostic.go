package modelfile

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// Severity says whether a diagnostic stops a model from being used.
type Severity string

const (
	// Error: the model cannot be compiled or would not mean what its author
	// wrote.
	Error Severity = "error"
	// Warning: the model works but has a known weakness (a lint).
	Warning Severity = "warning"
)

// Diagnostic is one problem found in a model or test file, pinned to the
// place an editor can jump to.
type Diagnostic struct {
	File string `json:"file"`
	// Line and Column are 1-based; Column counts characters, not bytes.
	// Zero means the position is unknown (an I/O problem, say).
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Severity Severity `json:"severity"`
	// Model is the name of the model the problem belongs to, when known.
	Model string `json:"model,omitempty"`
	// Field is the YAML path of the offending key, such as
	// "categories.interest.rules[2].points".
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// String formats the diagnostic the way compilers do, so that editors and
// terminals turn it into a link: "model.yaml:12:7: error: message".
func (d Diagnostic) String() string {
	pos := d.File
	if d.Line > 0 {
		pos += ":" + strconv.Itoa(d.Line)
		if d.Column > 0 {
			pos += ":" + strconv.Itoa(d.Column)
		}
	}
	if pos == "" {
		return fmt.Sprintf("%s: %s", d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s", pos, d.Severity, d.Message)
}

// sortDiagnostics orders diagnostics as they appear in the files, so a
// reader can fix them top to bottom. Files keep the order they were given in.
func sortDiagnostics(ds []Diagnostic, fileOrder map[string]int) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(fileOrder[a.File], fileOrder[b.File]),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
		)
	})
}

func countSeverity(ds []Diagnostic, s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

func filterSeverity(ds []Diagnostic, s Severity) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}
