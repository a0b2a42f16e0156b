package sqlstore

import (
	"regexp"
	"strings"
	"testing"
)

// bigTables grow with leads and events; a statement that walks one of
// them whole is a slow query on a million leads, however fast it is in a
// test.
var bigTables = []string{"leads", "lead_aliases", "events", "scores", "ledger"}

// wholeTableByDesign lists the statements that visit every row of a
// workspace on purpose (counting, paging through all leads).
var wholeTableByDesign = map[string]bool{
	qCountLeads: true,
	qLeadIDs:    true, // keyset pages of (workspace_id, id > ?)
}

// TestStaticQueryPlans asks SQLite's planner about every prepared
// statement and fails on a full scan, or a search on the workspace alone,
// of a table that grows with the data.
func TestStaticQueryPlans(t *testing.T) {
	s := openSQLiteT(t, Options{})
	ctx := t.Context()
	var bad []*regexp.Regexp
	for _, table := range bigTables {
		bad = append(bad,
			regexp.MustCompile(`^SCAN `+table+`\b`),
			regexp.MustCompile(`^SEARCH `+table+`( AS \w+)? USING (COVERING )?INDEX \w+ \(workspace_id=\?\)$`),
			regexp.MustCompile(`^SEARCH \w+ USING (COVERING )?INDEX sqlite_autoindex_`+table+`_\d+ \(workspace_id=\?\)$`))
	}
	for _, q := range staticQueries(s.d) {
		if wholeTableByDesign[q] {
			continue
		}
		upper := strings.ToUpper(strings.TrimSpace(q))
		if !strings.HasPrefix(upper, "SELECT") && !strings.HasPrefix(upper, "UPDATE") && !strings.HasPrefix(upper, "DELETE") &&
			!strings.HasPrefix(upper, "INSERT") && !strings.HasPrefix(upper, "WITH") {
			continue
		}
		// Unbound parameters are NULL; the plan does not depend on values.
		args := make([]any, strings.Count(q, "?"))
		rows, err := s.write.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Errorf("explaining %s: %v", oneLine(q), err)
			continue
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, line := range plan {
			for _, re := range bad {
				if re.MatchString(line) {
					t.Errorf("%s\n  walks a whole table: %q (plan: %s)", oneLine(q), line, strings.Join(plan, "; "))
				}
			}
		}
	}
}

func oneLine(q string) string { return strings.Join(strings.Fields(q), " ") }
