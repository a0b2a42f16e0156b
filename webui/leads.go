package webui

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

const pageSize = 50

// leadQuery is the leads page's filter as it appears in the URL.
type leadQuery struct {
	Model, Band, Qualified, Account, Owner, Since, Q, After string
}

func parseLeadQuery(v url.Values) leadQuery {
	return leadQuery{Model: v.Get("model"), Band: v.Get("band"), Qualified: v.Get("qualified"), Account: v.Get("account"),
		Owner: v.Get("owner"), Since: v.Get("since"), Q: strings.TrimSpace(v.Get("q")), After: v.Get("after")}
}

// values is the query without the cursor, for the next-page and CSV links.
func (q leadQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"model": q.Model, "band": q.Band, "qualified": q.Qualified, "account": q.Account,
		"owner": q.Owner, "since": q.Since, "q": q.Q} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// filter turns the query into the service's filter. A sales rep sees only
// the leads of their team (acc), whatever the URL says: an owner filter
// naming a team mate narrows the list to the names that stand for them,
// and any other owner lists nothing.
func (q leadQuery) filter(rq *request, acc *leadscore.LeadAccess, limit int) (leadscore.LeadFilter, error) {
	f := leadscore.LeadFilter{Model: q.Model, Band: q.Band, AccountID: q.Account, Owner: q.Owner, Query: q.Q, After: q.After, Limit: limit}
	switch q.Qualified {
	case "yes":
		t := true
		f.Qualified = &t
	case "no":
		no := false
		f.Qualified = &no
	}
	if q.Since != "" {
		t, err := time.Parse("2006-01-02", q.Since)
		if err != nil {
			return f, leadscore.Invalid("since", "%s", rq.L.T("leads.badsince", q.Since))
		}
		f.UpdatedSince = t
	}
	if !acc.All {
		f.Owners = acc.OwnerNames("")
		if m, ok := acc.Member(q.Owner); ok {
			f.Owner, f.Owners = "", acc.OwnerNames(m.Email)
		}
	}
	return f, nil
}

type leadsData struct {
	Query  leadQuery
	Models []string
	Rows   []leadscore.LeadRow
	Next   string
	CSV    string
	Error  string
	// OwnOnly: a sales rep with no team mates, who sees their own leads;
	// Team: a sales rep's team, whose Members' leads they see.
	OwnOnly bool
	Team    string
	Members []leadscore.User
}

func (u *UI) leadsPage(w http.ResponseWriter, rq *request) error {
	q := parseLeadQuery(rq.URL.Query())
	active, err := u.svc.ActiveModels(rq.Context())
	if err != nil {
		return err
	}
	acc, err := u.svc.LeadAccess(rq.Context(), rq.who.User)
	if err != nil {
		return err
	}
	d := leadsData{Query: q}
	if !acc.All {
		if len(acc.Members) > 1 {
			d.Team, d.Members = rq.who.User.Team, acc.Members
		} else {
			d.OwnOnly = true
		}
	}
	for _, m := range active {
		d.Models = append(d.Models, m.Name)
	}
	if d.Query.Model == "" && len(d.Models) > 0 && rq.URL.Query().Get("model") == "" {
		d.Query.Model = d.Models[0]
	}
	d.CSV = "/leads.csv?" + d.Query.values().Encode()
	f, err := d.Query.filter(rq, acc, pageSize)
	status := http.StatusOK
	if err == nil {
		d.Rows, d.Next, err = u.svc.ListLeads(rq.Context(), f)
	}
	if err != nil {
		if leadscore.CodeOf(err) != leadscore.CodeInvalid {
			return err
		}
		// A bad filter keeps the page and the form, with the message.
		d.Error, status = err.Error(), http.StatusBadRequest
	}
	if d.Next != "" {
		v := d.Query.values()
		v.Set("after", d.Next)
		d.Next = "/leads?" + v.Encode()
	}
	u.render(w, rq, status, "leads", "leads.title", d)
	return nil
}

// leadsCSV streams every lead of the filtered view, a page at a time.
func (u *UI) leadsCSV(w http.ResponseWriter, rq *request) error {
	q := parseLeadQuery(rq.URL.Query())
	q.After = ""
	acc, err := u.svc.LeadAccess(rq.Context(), rq.who.User)
	if err != nil {
		return err
	}
	f, err := q.filter(rq, acc, 1000)
	if err != nil {
		return err
	}
	rows, next, err := u.svc.ListLeads(rq.Context(), f)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="leads.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "email", "first_name", "last_name", "title", "account_id", "model", "score", "display", "band", "grade", "qualified", "updated_at"})
	for {
		for _, r := range rows {
			rec := []string{r.Lead.ID, r.Lead.Email, r.Lead.FirstName, r.Lead.LastName, r.Lead.Title, r.Lead.AccountID, "", "", "", "", "", "", ""}
			if s := r.Score; s != nil {
				rec[6], rec[7], rec[8], rec[9], rec[10] = s.Model, strconv.FormatFloat(s.Score, 'f', -1, 64), strconv.FormatInt(s.Display, 10), s.Band, s.Grade
				rec[11], rec[12] = strconv.FormatBool(s.Qualified), s.UpdatedAt.UTC().Format(time.RFC3339)
			}
			if err := cw.Write(rec); err != nil {
				return nil // the client went away
			}
		}
		if next == "" {
			break
		}
		f.After = next
		if rows, next, err = u.svc.ListLeads(rq.Context(), f); err != nil {
			u.log.Error("CSV export stopped", "err", err)
			break
		}
	}
	cw.Flush()
	return nil
}

// leadName is how a lead is shown: its name, else its email, else its id.
func leadName(l leadscore.Lead) string {
	n := strings.TrimSpace(l.FirstName + " " + l.LastName)
	if n == "" {
		n = l.Email
	}
	if n == "" {
		n = l.ID
	}
	return n
}

// owner is the lead's owner as the lead page shows it.
func owner(l leadscore.Lead) string { return leadscore.LeadOwner(l, nil) }

// mayOpen refuses (403) a lead the signed-in user may not open or act on:
// for a sales rep, a lead owned outside their team (leadscore.LeadAccess
// holds the rule).
func (u *UI) mayOpen(rq *request, l leadscore.Lead, a *leadscore.AutomationView) error {
	acc, err := u.svc.LeadAccess(rq.Context(), rq.who.User)
	if err != nil {
		return err
	}
	if !acc.Allows(leadscore.LeadOwner(l, a)) {
		return leadscore.Errorf(leadscore.CodeForbidden, "%s", rq.L.T("error.notyourlead"))
	}
	return nil
}
