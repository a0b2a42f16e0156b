package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readAll reads every record of a lead reader, rendering errors as text so
// that a golden file holds both.
type readResult struct {
	Line    int                `json:"line"`
	Lead    *leadscore.Lead    `json:"lead,omitempty"`
	Account *leadscore.Account `json:"account,omitempty"`
	Error   string             `json:"error,omitempty"`
}

func readAllLeads(t *testing.T, r LeadReader) []readResult {
	t.Helper()
	var out []readResult
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		var re *RowError
		switch {
		case errors.As(err, &re):
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Errorf("row error %v has code %s, want invalid", err, leadscore.CodeOf(err))
			}
			out = append(out, readResult{Line: re.Line, Error: re.Error()})
		case err != nil:
			t.Fatalf("fatal error: %v", err)
		default:
			l := rec.Lead
			out = append(out, readResult{Line: rec.Line, Lead: &l, Account: rec.Account})
		}
	}
}

func TestHeaderMappingGolden(t *testing.T) {
	checker := quality.NewChecker()
	for _, name := range []string{"hubspot.csv", "salesforce.csv"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewLeadCSVReader(f, checker)
			if err != nil {
				t.Fatal(err)
			}
			var mapping []string
			for _, c := range r.Mapping().Columns {
				target := c.Field.String()
				if c.Field == FieldCustom {
					target = "lead.fields." + c.Key
					if c.Account {
						target = "account.fields." + c.Key
					}
				}
				mapping = append(mapping, c.Header+" -> "+target)
			}
			got := struct {
				Columns []string     `json:"columns"`
				Rows    []readResult `json:"rows"`
			}{mapping, readAllLeads(t, r)}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(got); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".csv")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if strings.TrimSpace(string(want)) != strings.TrimSpace(string(b)) {
				t.Errorf("%s differs from %s (run go test -update and review the diff):\n%s", name, golden, b)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestLeadCSV(t *testing.T) {
	checker := quality.NewChecker()
	cases := []struct {
		name    string
		in      string
		lead    leadscore.Lead
		account *leadscore.Account
		err     string // substring of the row error
	}{
		{
			name: "canonical columns, case and spacing insensitive",
			in:   "ID,E-mail Address,First_Name,LAST NAME,created_at\nl1,Jo@Acme.com,Jo,Lee,2026-01-02T03:04:05+02:00\n",
			lead: leadscore.Lead{ID: "l1", Email: "Jo@Acme.com", FirstName: "Jo", LastName: "Lee", AccountID: "acme.com",
				CreatedAt: time.Date(2026, 1, 2, 1, 4, 5, 0, time.UTC)},
			account: &leadscore.Account{ID: "acme.com", Domain: "acme.com"},
		},
		{
			name:    "email is the id when there is no id column",
			in:      "email,title\n  Jo@Acme.COM ,CTO\n",
			lead:    leadscore.Lead{ID: "jo@acme.com", Email: "Jo@Acme.COM", Title: "CTO", AccountID: "acme.com"},
			account: &leadscore.Account{ID: "acme.com", Domain: "acme.com"},
		},
		{
			name: "free mail makes no account",
			in:   "email\njo@gmail.com\n",
			lead: leadscore.Lead{ID: "jo@gmail.com", Email: "jo@gmail.com"},
		},
		{
			name: "disposable mail makes no account",
			in:   "email\njo@mailinator.com\n",
			lead: leadscore.Lead{ID: "jo@mailinator.com", Email: "jo@mailinator.com"},
		},
		{
			name:    "free mail with a company keeps the facts on a private account",
			in:      "email,company,employees\njo@gmail.com,Acme,12\n",
			lead:    leadscore.Lead{ID: "jo@gmail.com", Email: "jo@gmail.com"},
			account: &leadscore.Account{Name: "Acme", Employees: ptr(int64(12))},
		},
		{
			name:    "registrable domain of the email",
			in:      "email\njo@mail.example.co.uk\n",
			lead:    leadscore.Lead{ID: "jo@mail.example.co.uk", Email: "jo@mail.example.co.uk", AccountID: "example.co.uk"},
			account: &leadscore.Account{ID: "example.co.uk", Domain: "example.co.uk"},
		},
		{
			name:    "website beats the email domain",
			in:      "email,website\njo@gmail.com,https://www.Shop.Acme-Corp.com/x?y=1\n",
			lead:    leadscore.Lead{ID: "jo@gmail.com", Email: "jo@gmail.com", AccountID: "acme-corp.com"},
			account: &leadscore.Account{ID: "acme-corp.com", Domain: "acme-corp.com"},
		},
		{
			name:    "domain beats website",
			in:      "email,website,domain\njo@a.com,b.com,c.com\n",
			lead:    leadscore.Lead{ID: "jo@a.com", Email: "jo@a.com", AccountID: "c.com"},
			account: &leadscore.Account{ID: "c.com", Domain: "c.com"},
		},
		{
			name:    "explicit account id wins",
			in:      "id,email,account_id\n7,jo@a.com,ACC-1\n",
			lead:    leadscore.Lead{ID: "7", Email: "jo@a.com", AccountID: "ACC-1"},
			account: &leadscore.Account{ID: "ACC-1", Domain: "a.com"},
		},
		{
			name: "account attributes",
			in:   "id,company,employees,revenue,industry,target_account,lists\n1,Acme,\"10,001+\",$1.5M,Retail,yes,a; b|c\n",
			lead: leadscore.Lead{ID: "1"},
			account: &leadscore.Account{Name: "Acme", Employees: ptr(int64(10001)), Revenue: ptr(1.5e6), Industry: "Retail",
				Priority: true, Lists: []string{"a", "b", "c"}},
		},
		{
			name:    "custom fields are typed, empty ones absent",
			in:      "id,Lead Score Old,Is Customer,Zip,Notes,Empty,account.Tier,account.Plan\n1,42.5,TRUE,02134,hello,,2,gold\n",
			lead:    leadscore.Lead{ID: "1", Fields: map[string]any{"lead_score_old": 42.5, "is_customer": true, "zip": "02134", "notes": "hello"}},
			account: &leadscore.Account{Fields: map[string]any{"tier": 2.0, "plan": "gold"}},
		},
		{
			name: "full name is split when there are no name parts",
			in:   "id,name\n1,Mary Ann Smith\n",
			lead: leadscore.Lead{ID: "1", FirstName: "Mary", LastName: "Ann Smith"},
		},
		{name: "no id and no email", in: "id,email,title\n,,CTO\n", err: "needs an id or an email"},
		{name: "no id and a bad email", in: "email\nnot-an-email\n", err: `column "email": "not-an-email" is not a valid email`},
		{name: "bad time names the column", in: "id,Create Date\n1,soon\n", err: `column "Create Date": cannot read "soon" as a time`},
		{name: "bad employees", in: "id,No. of Employees\n1,many\n", err: `column "No. of Employees"`},
		{name: "bad revenue", in: "id,revenue\n1,lots\n", err: `column "revenue"`},
		{name: "bad bool", in: "id,priority\n1,maybe\n", err: `column "priority"`},
		{name: "bad website", in: "id,website\n1,not a site\n", err: `column "website"`},
		{name: "wrong field count", in: "id,email\n1,a@b.com,extra\n", err: "3 fields but the header has 2"},
		{name: "bare quote", in: "id,email\n1,a\"b@c.com\n", err: "malformed CSV"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewLeadCSVReader(strings.NewReader(tc.in), checker)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := r.Next()
			if tc.err != "" {
				var re *RowError
				if !errors.As(err, &re) {
					t.Fatalf("got %v, want a row error", err)
				}
				if !strings.Contains(err.Error(), tc.err) || re.Line != 2 {
					t.Fatalf("got %q at line %d, want %q at line 2", err, re.Line, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Line != 2 {
				t.Errorf("line %d, want 2", rec.Line)
			}
			if !reflect.DeepEqual(rec.Lead, tc.lead) {
				t.Errorf("lead\n got %+v\nwant %+v", rec.Lead, tc.lead)
			}
			if !reflect.DeepEqual(rec.Account, tc.account) {
				t.Errorf("account\n got %s\nwant %s", jsonText(rec.Account), jsonText(tc.account))
			}
			if _, err := r.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the only row: %v, want EOF", err)
			}
		})
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCSVDelimiterAndBOM(t *testing.T) {
	checker := quality.NewChecker()
	cases := []struct {
		name, in string
		delim    rune
	}{
		{"comma", "id,email\n1,a@x.com\n", ','},
		{"semicolon", "id;email\n1;a@x.com\n", ';'},
		{"tab", "id\temail\n1\ta@x.com\n", '\t'},
		{"semicolon with commas in a quoted header", "\"id, the key\";email\n1;a@x.com\n", ';'},
		{"byte order mark", "\xef\xbb\xbfid,email\n1,a@x.com\n", ','},
		{"crlf", "id,email\r\n1,a@x.com\r\n", ','},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewLeadCSVReader(strings.NewReader(tc.in), checker)
			if err != nil {
				t.Fatal(err)
			}
			if r.rows.Delimiter() != tc.delim {
				t.Errorf("delimiter %q, want %q", r.rows.Delimiter(), tc.delim)
			}
			rec, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if rec.Lead.Email != "a@x.com" {
				t.Errorf("email %q", rec.Lead.Email)
			}
		})
	}
}

func TestCSVLineNumbersAcrossMultilineRows(t *testing.T) {
	in := "id,notes\n1,\"two\nlines\"\n2,x\n,\n3,y\n"
	r, err := NewLeadCSVReader(strings.NewReader(in), quality.NewChecker())
	if err != nil {
		t.Fatal(err)
	}
	got := readAllLeads(t, r)
	wantLines := []int{2, 4, 5, 6}
	if len(got) != len(wantLines) {
		t.Fatalf("got %d records, want %d: %+v", len(got), len(wantLines), got)
	}
	for i, w := range wantLines {
		if got[i].Line != w {
			t.Errorf("record %d at line %d, want %d", i, got[i].Line, w)
		}
	}
	if got[2].Error == "" {
		t.Errorf("the empty row must be an error: %+v", got[2])
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := []struct{ name, header, want string }{
		{"no identity column", "title,company", "needs an id or an email"},
		{"same field twice", "Email,email_address", "both mean email"},
		{"same custom field twice", "id,Lead Status,lead_status", "both become the field lead_status"},
		{"empty header", "id,,email", "empty header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewLeadCSVReader(strings.NewReader(tc.header+"\n"), quality.NewChecker())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if leadscore.CodeOf(err) != leadscore.CodeInvalid {
				t.Errorf("code %s, want invalid", leadscore.CodeOf(err))
			}
		})
	}
	if _, err := NewLeadCSVReader(strings.NewReader(""), quality.NewChecker()); err == nil {
		t.Error("an empty file must be an error")
	}
}
