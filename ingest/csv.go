package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// CSVRows reads the raw rows of a CSV file: it strips a UTF-8 byte order
// mark, detects the delimiter (comma, semicolon or tab) from the header
// line, and reports the line each row starts on. It is the first half of
// LeadCSVReader, exposed so that a pipeline can convert rows on several
// goroutines with Mapping.Convert.
type CSVRows struct {
	r      *csv.Reader
	header []string
	comma  rune
}

// NewCSVRows reads the header row.
func NewCSVRows(r io.Reader) (*CSVRows, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	comma := detectDelimiter(br)
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, leadscore.Errorf(leadscore.CodeInvalid, "the file is empty (a header row is needed)")
		}
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "reading the header row: %v", err)
	}
	return &CSVRows{r: cr, header: header, comma: comma}, nil
}

// detectDelimiter counts candidate delimiters outside quotes in the first
// line and picks the most frequent; a header without any is read as CSV.
func detectDelimiter(br *bufio.Reader) rune {
	peek, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(peek, '\n'); i >= 0 {
		peek = peek[:i]
	}
	counts := map[byte]int{}
	inQuote := false
	for _, c := range peek {
		switch {
		case c == '"':
			inQuote = !inQuote
		case !inQuote && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best, bestN := byte(','), counts[',']
	for _, c := range []byte{';', '\t'} {
		if counts[c] > bestN {
			best, bestN = c, counts[c]
		}
	}
	return rune(best)
}

// Header returns the header row.
func (c *CSVRows) Header() []string { return c.header }

// Delimiter returns the detected delimiter.
func (c *CSVRows) Delimiter() rune { return c.comma }

// Next returns the next row and its starting line. A malformed row (a bare
// quote, say) is a *RowError and the following call continues after it;
// io.EOF ends the file. The returned slice is the caller's to keep.
func (c *CSVRows) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, rowErr(pe.StartLine, "", "malformed CSV: %v", pe.Err)
		}
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	return rec, line, nil
}

// Convert turns one row into a lead record. It is safe for concurrent use.
// Every problem is a *RowError naming the column as written in the header.
func (m *Mapping) Convert(row []string, line int, checker *quality.Checker) (LeadRecord, error) {
	rec := LeadRecord{Line: line}
	if len(row) != len(m.Columns) {
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			return rec, rowErr(line, "", "empty row")
		}
		return rec, rowErr(line, "", "the row has %d fields but the header has %d", len(row), len(m.Columns))
	}
	l := &rec.Lead
	var acct *leadscore.Account
	account := func() *leadscore.Account {
		if acct == nil {
			acct = &leadscore.Account{}
		}
		return acct
	}
	var domainCell string
	var fullName string
	domainRank := 4
	for i, c := range m.Columns {
		v := strings.TrimSpace(row[i])
		if v == "" {
			continue
		}
		switch c.Field {
		case FieldCustom:
			val, ok := parseCustom(v)
			if !ok {
				continue
			}
			if c.Account {
				a := account()
				if a.Fields == nil {
					a.Fields = map[string]any{}
				}
				a.Fields[c.Key] = val
			} else {
				if l.Fields == nil {
					l.Fields = map[string]any{}
				}
				l.Fields[c.Key] = val
			}
		case FieldID:
			l.ID = v
		case FieldEmail:
			l.Email = v
		case FieldFirstName:
			l.FirstName = v
		case FieldLastName:
			l.LastName = v
		case FieldFullName:
			fullName = v
		case FieldTitle:
			l.Title = v
		case FieldPhone:
			l.Phone = v
		case FieldCountry:
			l.Country = v
		case FieldState:
			l.State = v
		case FieldCity:
			l.City = v
		case FieldSource:
			l.Source = v
		case FieldCreatedAt:
			t, err := ParseTime(v)
			if err != nil {
				return rec, rowErr(line, c.Header, "%v", err)
			}
			l.CreatedAt = t
		case FieldAccountID:
			l.AccountID = v
		case FieldCompany:
			account().Name = v
		case FieldDomain, FieldCompanyDomain, FieldWebsite:
			// Lower rank wins: domain, then company domain, then website.
			rank := int(c.Field - FieldDomain)
			if rank < domainRank {
				if hostOf(v) == "" {
					return rec, rowErr(line, c.Header, "%q is not a domain or web address", v)
				}
				domainRank, domainCell = rank, v
			}
		case FieldEmployees:
			n, err := parseEmployees(v)
			if err != nil {
				return rec, rowErr(line, c.Header, "%v", err)
			}
			account().Employees = &n
		case FieldIndustry:
			account().Industry = v
		case FieldAccountCountry:
			account().Country = v
		case FieldRevenue:
			f, err := parseAmount(v)
			if err != nil {
				return rec, rowErr(line, c.Header, "%v", err)
			}
			account().Revenue = &f
		case FieldPriority:
			b, err := parseBool(v)
			if err != nil {
				return rec, rowErr(line, c.Header, "%v", err)
			}
			account().Priority = b
		case FieldLists:
			account().Lists = splitList(v)
		default:
			return rec, fmt.Errorf("ingest: unhandled field %v", c.Field)
		}
	}
	if fullName != "" && l.FirstName == "" && l.LastName == "" {
		first, last, _ := strings.Cut(fullName, " ")
		l.FirstName, l.LastName = first, strings.TrimSpace(last)
	}
	if domainCell != "" {
		account().Domain = hostOf(domainCell)
	}
	rec.Account = acct
	if err := resolveIdentity(&rec, domainCell, checker); err != nil {
		if err.Column != "" && m.byField[FieldEmail] >= 0 {
			err.Column = m.Columns[m.byField[FieldEmail]].Header
			err.Err.Field = err.Column
		}
		return rec, err
	}
	return rec, nil
}

// splitList reads "a; b|c" as three list entries.
func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// LeadCSVReader streams leads from a CSV export.
type LeadCSVReader struct {
	rows    *CSVRows
	mapping *Mapping
	checker *quality.Checker
}

// NewLeadCSVReader reads and understands the header row. checker may be
// nil, in which case a default one is built (which takes a moment: share
// one when reading several files).
func NewLeadCSVReader(r io.Reader, checker *quality.Checker) (*LeadCSVReader, error) {
	rows, err := NewCSVRows(r)
	if err != nil {
		return nil, err
	}
	m, err := NewMapping(rows.Header())
	if err != nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "header row: %v", err)
	}
	if checker == nil {
		checker = quality.NewChecker()
	}
	return &LeadCSVReader{rows: rows, mapping: m, checker: checker}, nil
}

// Mapping returns how the header was understood.
func (r *LeadCSVReader) Mapping() *Mapping { return r.mapping }

// Next returns the next lead. A *RowError rejects one row and reading may
// continue; io.EOF ends the file; any other error is final.
func (r *LeadCSVReader) Next() (LeadRecord, error) {
	row, line, err := r.rows.Next()
	if err != nil {
		return LeadRecord{Line: line}, err
	}
	return r.mapping.Convert(row, line, r.checker)
}
