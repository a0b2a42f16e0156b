package httpapi_test

import (
	"strings"
	"testing"

	"github.com/leadscore/leadscore"
)

// TestShadowRoutes: starting, listing, comparing and stopping a shadow,
// with the scopes and statuses of each.
func TestShadowRoutes(t *testing.T) {
	svc, do := modelRoutes(t, 3)
	read, _ := svc.AddKey("reader", leadscore.ScopeRead)
	admin, _ := svc.AddKey("ops", leadscore.ScopeAdmin)
	tests := []struct {
		name, key, method, path string
		status                  int
		contains                string
	}{
		{"none yet", read, "GET", "/api/v1/shadows", 200, `"data":[]`},
		{"report without a shadow", read, "GET", "/api/v1/models/m/shadow/report", 404, "shadow"},
		{"a read key cannot start one", read, "POST", "/api/v1/models/m/versions/v2/shadow", 403, ""},
		{"the active version", admin, "POST", "/api/v1/models/m/versions/v1/shadow", 409, "active"},
		{"an unknown version", admin, "POST", "/api/v1/models/m/versions/v9/shadow", 404, ""},
		{"start", admin, "POST", "/api/v1/models/m/versions/v2/shadow", 202, `"shadow":{"model":"m","version":"v2"`},
		{"replace", admin, "POST", "/api/v1/models/m/versions/v3/shadow", 202, `"replaced":{"model":"m","version":"v2"`},
		{"listed", read, "GET", "/api/v1/shadows", 200, `"version":"v3"`},
		{"bad limit", read, "GET", "/api/v1/models/m/shadow/report?max_leads=0", 400, "max_leads"},
		{"bad format", read, "GET", "/api/v1/models/m/shadow/report?format=pdf", 400, "format"},
		{"report", read, "GET", "/api/v1/models/m/shadow/report?lost_after=90d", 200, `"kind":"not_enough_outcomes"`},
		{"report as text", read, "GET", "/api/v1/models/m/shadow/report?format=text", 200, "not enough outcomes yet: 0 of the 100 needed"},
		{"stop another version", admin, "DELETE", "/api/v1/models/m/versions/v2/shadow", 404, "v3"},
		{"a read key cannot stop it", read, "DELETE", "/api/v1/models/m/versions/v3/shadow", 403, ""},
		{"stop", admin, "DELETE", "/api/v1/models/m/versions/v3/shadow", 204, ""},
		{"stop again", admin, "DELETE", "/api/v1/models/m/versions/v3/shadow", 404, ""},
	}
	for _, tc := range tests {
		w := do(tc.key, tc.method, tc.path)
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, w.Code, tc.status, w.Body)
			continue
		}
		if tc.contains != "" && !strings.Contains(w.Body.String(), tc.contains) {
			t.Errorf("%s: body lacks %q: %s", tc.name, tc.contains, w.Body)
		}
		if tc.status == 202 && !strings.HasPrefix(w.Header().Get("Location"), "/api/v1/jobs/") {
			t.Errorf("%s: Location %q", tc.name, w.Header().Get("Location"))
		}
	}
}
