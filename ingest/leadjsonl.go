package ingest

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// leadLine is a JSONL lead: a leadscore.Lead with an optional account.
// created_at is read separately so that the same forms as in CSV files are
// accepted, not only RFC 3339.
type leadLine struct {
	leadscore.Lead
	CreatedAt json.RawMessage `json:"created_at"`
	Account   *accountLine    `json:"account"`
}

type accountLine struct {
	leadscore.Account
	// Employees may be written as a float (JSON has one number type).
	Employees *float64 `json:"employees"`
}

// LeadJSONLReader streams leads from a JSONL file: one leadscore.Lead JSON
// object per line, optionally with "account": {leadscore.Account}.
type LeadJSONLReader struct {
	lines   *LineReader
	checker *quality.Checker
}

// NewLeadJSONLReader reads from r; checker may be nil.
func NewLeadJSONLReader(r io.Reader, checker *quality.Checker) *LeadJSONLReader {
	if checker == nil {
		checker = quality.NewChecker()
	}
	return &LeadJSONLReader{lines: NewLineReader(r), checker: checker}
}

// Next returns the next lead, with the same error contract as
// LeadCSVReader.Next. Blank lines are skipped.
func (r *LeadJSONLReader) Next() (LeadRecord, error) {
	for {
		line, n, err := r.lines.Next()
		if err != nil {
			return LeadRecord{Line: n}, err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return ParseLeadLine(line, n, r.checker)
	}
}

// ParseLeadLine parses one JSONL lead line. It is safe for concurrent use.
func ParseLeadLine(line []byte, lineNo int, checker *quality.Checker) (LeadRecord, error) {
	rec := LeadRecord{Line: lineNo}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return rec, rowErr(lineNo, "", "not a JSON object")
	}
	var in leadLine
	if err := json.Unmarshal(trimmed, &in); err != nil {
		return rec, rowErr(lineNo, jsonErrField(err), "invalid JSON: %v", jsonErrText(err))
	}
	rec.Lead = in.Lead
	rec.Lead.CreatedAt = time.Time{}
	if len(in.CreatedAt) > 0 && string(in.CreatedAt) != "null" && string(in.CreatedAt) != `""` {
		t, err := jsonTime(in.CreatedAt)
		if err != nil {
			return rec, rowErr(lineNo, "created_at", "%v", err)
		}
		rec.Lead.CreatedAt = t
	}
	for k, v := range rec.Lead.Fields {
		if v == nil {
			delete(rec.Lead.Fields, k)
		}
	}
	domainCell := ""
	if in.Account != nil {
		a := in.Account.Account
		if in.Account.Employees != nil {
			if *in.Account.Employees < 0 || *in.Account.Employees > 1e9 {
				return rec, rowErr(lineNo, "account.employees", "employee count %g is out of range", *in.Account.Employees)
			}
			n := int64(*in.Account.Employees)
			a.Employees = &n
		}
		if a.Domain != "" {
			if hostOf(a.Domain) == "" {
				return rec, rowErr(lineNo, "account.domain", "%q is not a domain or web address", a.Domain)
			}
			domainCell = a.Domain
		}
		a.ID = strings.TrimSpace(a.ID)
		rec.Account = &a
	}
	if err := resolveIdentity(&rec, domainCell, checker); err != nil {
		return rec, err
	}
	return rec, nil
}
