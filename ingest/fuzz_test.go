package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/leadscore/leadscore/quality"
)

// FuzzLeadCSV checks that no input makes the CSV reader panic, that it
// always ends, and that every record is either a lead with an ID or a row
// error with a line number.
func FuzzLeadCSV(f *testing.F) {
	seeds := []string{
		"id,email\n1,a@b.com\n",
		"\xef\xbb\xbfEmail;First Name;Create Date\nx@y.co.uk;A;2026-01-01 10:00\n",
		"Record ID,Email,Company Domain Name,Website URL,Number of Employees,Annual Revenue\n1,a@gmail.com,acme.com,http://acme.com,51-200,$1M\n",
		"id,notes\n1,\"multi\nline\"\n2,\"bad\"quote\n",
		"id\temail\taccount.tier\tlists\n1\ta@b.com\t3\ta;b|c\n",
		"email,created_at,priority\nq@w.com,1790000000000,yes\n,,\n",
		"id,email\n1\n2,a,b\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	checker := quality.NewChecker()
	f.Fuzz(func(t *testing.T, in string) {
		r, err := NewLeadCSVReader(strings.NewReader(in), checker)
		if err != nil {
			return
		}
		lines := strings.Count(in, "\n") + 1
		for n := 0; ; n++ {
			if n > lines+1 {
				t.Fatalf("more records (%d) than lines (%d)", n, lines)
			}
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line < 1 || re.Line > lines {
					t.Fatalf("row error at line %d of %d", re.Line, lines)
				}
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if rec.Lead.ID == "" || rec.Line < 2 || rec.Line > lines {
				t.Fatalf("record without identity or with line %d: %+v", rec.Line, rec)
			}
			if rec.Account != nil && rec.Account.ID != rec.Lead.AccountID {
				t.Fatalf("account %q but lead.account_id %q", rec.Account.ID, rec.Lead.AccountID)
			}
		}
	})
}

// FuzzEventJSONL checks that no input makes the event reader panic and that
// every non-blank line yields exactly one event or one row error.
func FuzzEventJSONL(f *testing.F) {
	seeds := []string{
		`{"id":"e1","lead_id":"L1","type":"page.viewed","timestamp":"2026-10-03T12:00:00Z","properties":{"path":"/pricing"}}`,
		`{"userId":7,"event":"Signed Up","at":1790000000123,"context":{"userAgent":"curl/8"}}` + "\n" + `{"email":"A@B.C","type":"x","timestamp":"2026-01-01"}`,
		"{\"lead_id\":\"L\",\"type\":\"t\",\"at\":\"2026-01-01 10:00\",\"bot\":true}\r\n\n{}\n[1]\nnot json\n",
		`{"lead_id":"L","type":"t","at":1e300}`,
		`{"lead_id":"L","type":"t","at":"2026-01-01","properties":{"a":{"b":[1,2,{"c":null}]}}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	checker := quality.NewChecker()
	f.Fuzz(func(t *testing.T, in string) {
		r := NewEventReader(strings.NewReader(in), checker)
		want := countLines([]byte(strings.TrimPrefix(in, "\xef\xbb\xbf")))
		got := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				got++
				continue
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			got++
			if rec.Event.ID == "" || rec.Event.LeadID == "" || rec.Event.Type == "" || rec.Event.At.IsZero() && rec.Line < 1 {
				t.Fatalf("incomplete event: %+v", rec)
			}
		}
		if got != want {
			t.Fatalf("%d records for %d non-blank lines", got, want)
		}
	})
}
