package webui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
)

// A lead's page stays light however long the lead has lived (docs/web-ui.md,
// "Page weight"): its lists show the most recent rows, say how many are
// left out, and link to the full list, which pages with a keyset cursor.
const (
	// chartLimit bounds the score changes charted per model: the most
	// recent ones (each is a marker and a table row).
	chartLimit = 100
	// eventsShown is how many of the most recent events the page lists.
	eventsShown = 50
	// timelineShown is how many of the most recent lifecycle entries the
	// page lists.
	timelineShown = 50
	// peopleOnLead is how many of the account's other people the account
	// card lists, the best scored first.
	peopleOnLead = 10
)

type modelScore struct {
	Record      leadscore.ScoreRecord
	Sentences   []string
	Adjustments []string
	Chart       *chart
	// Changes is how many score changes the model has recorded; the chart
	// holds the most recent chartLimit of them.
	Changes int
}

type leadData struct {
	Lead    leadscore.Lead
	Name    string
	Owner   string
	Account *leadscore.AccountView
	Scores  []modelScore
	Events  []leadscore.StoredEvent
	// MoreEvents: older events exist than the ones listed.
	MoreEvents bool
	Automation *leadscore.AutomationView
	History    []leadscore.HistoryEntry
	// HistoryTotal is the number of lifecycle entries; History holds the
	// most recent timelineShown.
	HistoryTotal int
	// People are the account's other people on the card, MorePeople how
	// many more it has.
	People     []leadscore.LeadRow
	MorePeople int
	SLAOverdue bool
	Lifecycle  lifecycle
	CanAct     bool
	Stages     []string
	Error      string
}

// lifecycle is what the lead page shows of the automation state.
type lifecycle struct {
	QualifiedBy string    `json:"qualified_by"`
	QualifiedAt time.Time `json:"qualified_at"`
	AcceptedAt  time.Time `json:"accepted_at"`
	Assignment  *struct {
		Rule string `json:"rule"`
	} `json:"assignment"`
}

// stages are the lifecycle stages a person can set, in HubSpot's words.
var stages = []string{"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "other"}

func (u *UI) leadPage(w http.ResponseWriter, rq *request) error {
	ctx := rq.Context()
	id := rq.PathValue("id")
	view, err := u.svc.GetLead(ctx, id)
	if err != nil {
		return err
	}
	if err := u.mayOpen(rq, view.Lead, view.Automation); err != nil {
		return err
	}
	d := leadData{Lead: view.Lead, Name: leadName(view.Lead), Owner: owner(view.Lead), Automation: view.Automation,
		CanAct: permSalesActions.allowed(rq.who.User.Role), Stages: stages, Error: rq.URL.Query().Get("error")}
	if a := d.Automation; a != nil {
		if a.Owner != "" {
			d.Owner = a.Owner
		}
		d.SLAOverdue = !a.SLADue.IsZero() && a.SLADue.Before(u.now())
		// The state is the API's JSON document; a field it lacks stays
		// zero and is not shown.
		_ = json.Unmarshal(a.State, &d.Lifecycle)
	}
	for _, rec := range view.Scores {
		ms := modelScore{Record: rec}
		if ev := rec.Evaluation; ev != nil {
			ms.Sentences = explain(rq.L, ev)
			for _, a := range ev.Adjustments {
				ms.Adjustments = append(ms.Adjustments, rq.L.T("explain.adjustment", rq.L.Signed(a.Points), a.Text))
			}
		}
		hist, n, err := u.svc.LeadHistoryTail(ctx, id, rec.Model, chartLimit)
		if err != nil {
			return err
		}
		ms.Chart, ms.Changes = historyChart(rq.L, hist), n
		d.Scores = append(d.Scores, ms)
	}
	// One more than is shown tells whether older events exist.
	if d.Events, err = u.svc.LeadEvents(ctx, id, eventsShown+1); err != nil {
		return err
	}
	if len(d.Events) > eventsShown {
		d.Events, d.MoreEvents = d.Events[len(d.Events)-eventsShown:], true
	}
	if d.History, d.HistoryTotal, err = u.svc.LeadTimelineTail(ctx, id, timelineShown); err != nil {
		return err
	}
	// Newest first: the timeline reads from what just happened.
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].At.After(d.Events[j].At) })
	if view.Lead.AccountID != "" {
		acct, err := u.svc.GetAccount(ctx, view.Lead.AccountID)
		switch {
		case err == nil:
			d.Account = acct
			others := make([]leadscore.LeadRow, 0, len(acct.People))
			for _, p := range acct.People {
				if p.Lead.ID != view.Lead.ID {
					others = append(others, p)
				}
			}
			byScore(others)
			d.People, d.MorePeople = others[:min(len(others), peopleOnLead)], max(0, len(others)-peopleOnLead)
		case leadscore.CodeOf(err) != leadscore.CodeNotFound:
			return err
		}
	}
	u.render(w, rq, http.StatusOK, "lead", "lead.title", d)
	return nil
}

// explain turns an evaluation's contributions into sentences a sales rep
// reads: "+25 demo requested on 3 Oct".
func explain(l *localizer, ev *leadscore.Evaluation) []string {
	var out []string
	for _, c := range ev.Contributions {
		label := c.Label
		if label == "" {
			label = c.Rule
		}
		pts := l.Signed(c.Points)
		switch {
		case len(c.Events) == 0:
			out = append(out, l.T("explain.rule", pts, label))
		case c.Count > 1:
			last := c.Events[0].At
			for _, e := range c.Events {
				if e.At.After(last) {
					last = e.At
				}
			}
			out = append(out, l.T("explain.times", pts, label, c.Count, l.Short(last)))
		default:
			out = append(out, l.T("explain.once", pts, label, l.Short(c.Events[len(c.Events)-1].At)))
		}
	}
	if ev.Disqualified {
		for _, r := range ev.Reasons {
			out = append(out, l.T("explain.disqualified", r))
		}
	} else if ev.Qualified {
		out = append(out, l.T("explain.qualified"))
	}
	return out
}

// byScore orders people by their best score, highest first, those without
// a score last, then by id.
func byScore(rows []leadscore.LeadRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Score, rows[j].Score
		switch {
		case a != nil && b != nil && a.Score != b.Score:
			return a.Score > b.Score
		case (a == nil) != (b == nil):
			return a != nil
		}
		return rows[i].Lead.ID < rows[j].Lead.ID
	})
}

// peopleShown is how many people an account's page lists, the best scored
// first; the rest are in the leads list filtered by the account.
const peopleShown = 100

type accountData struct {
	View    *leadscore.AccountView
	Names   map[string]string
	Engaged int
	Visible map[string]bool
	// People are the people listed; More how many are left out, All the
	// leads list of the account.
	People []leadscore.LeadRow
	More   int
	All    string
}

func (u *UI) accountPage(w http.ResponseWriter, rq *request) error {
	view, err := u.svc.GetAccount(rq.Context(), rq.PathValue("id"))
	if err != nil {
		return err
	}
	acc, err := u.svc.LeadAccess(rq.Context(), rq.who.User)
	if err != nil {
		return err
	}
	d := accountData{View: view, Names: map[string]string{}, Visible: map[string]bool{}, Engaged: view.ActivePeople,
		People: append([]leadscore.LeadRow(nil), view.People...), All: "/leads?" + url.Values{"account": {view.Account.ID}}.Encode()}
	byScore(d.People)
	d.People, d.More = d.People[:min(len(d.People), peopleShown)], max(0, len(d.People)-peopleShown)
	for _, p := range d.People {
		d.Names[p.Lead.ID] = leadName(p.Lead)
		d.Visible[p.Lead.ID] = acc.Allows(leadscore.LeadOwner(p.Lead, nil))
	}
	u.render(w, rq, http.StatusOK, "account", "account.title", d)
	return nil
}

// leadAction performs a sales action (accept, reject, recycle, set_stage)
// or records an outcome, then shows the lead again. A refused action (a
// move the lifecycle forbids, a rejection without a reason) comes back as
// a message on the lead's page.
func (u *UI) leadAction(w http.ResponseWriter, rq *request) error {
	ctx := rq.Context()
	id := rq.PathValue("id")
	view, err := u.svc.GetLead(ctx, id)
	if err != nil {
		return err
	}
	if err := u.mayOpen(rq, view.Lead, view.Automation); err != nil {
		return err
	}
	by := rq.who.User.Email
	switch act := rq.PostFormValue("action"); act {
	case "outcome":
		o := leadscore.Outcome{LeadID: view.Lead.ID, Result: leadscore.OutcomeResult(rq.PostFormValue("result")),
			Reason: rq.PostFormValue("reason"), By: by, At: u.now()}
		if v := strings.TrimSpace(rq.PostFormValue("value")); v != "" {
			f, perr := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
			if perr != nil {
				err = leadscore.Invalid("value", "%s", rq.L.T("lead.badvalue", v))
				break
			}
			o.Value = &f
		}
		_, err = u.svc.RecordOutcome(ctx, o)
	default:
		_, err = u.svc.LeadAction(ctx, view.Lead.ID, leadscore.LeadAction{Action: act, Stage: rq.PostFormValue("stage"),
			Reason: strings.TrimSpace(rq.PostFormValue("reason")), ResetScore: rq.PostFormValue("reset") == "on", By: by})
	}
	target := "/leads/" + url.PathEscape(view.Lead.ID)
	if err != nil {
		switch leadscore.CodeOf(err) {
		case leadscore.CodeInvalid, leadscore.CodeConflict:
			target += "?error=" + url.QueryEscape(err.Error())
		default:
			return err
		}
	}
	http.Redirect(w, rq.Request, target+"#sales", http.StatusSeeOther)
	return nil
}

// historyPageSize is how many rows a page of a lead's full history holds.
const historyPageSize = 100

// leadHistoryData is the full history of a lead, a page at a time: its
// score changes under one model (Model set) or its lifecycle entries.
type leadHistoryData struct {
	Lead    leadscore.Lead
	Name    string
	Model   string
	Scores  []leadscore.LedgerEntry
	Entries []leadscore.HistoryEntry
	// Next is the link to the following page, oldest first ("" on the
	// last page); First is the link back to the first page.
	Next, First string
}

// leadHistoryPage lists a lead's score changes (?model=) or lifecycle
// entries from the oldest on, after the keyset cursor ?after=.
func (u *UI) leadHistoryPage(w http.ResponseWriter, rq *request) error {
	ctx := rq.Context()
	view, err := u.svc.GetLead(ctx, rq.PathValue("id"))
	if err != nil {
		return err
	}
	if err := u.mayOpen(rq, view.Lead, view.Automation); err != nil {
		return err
	}
	q := rq.URL.Query()
	var after int64
	if s := q.Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 0 {
			return leadscore.Invalid("after", "%q is not a position in the history", s)
		}
	}
	d := leadHistoryData{Lead: view.Lead, Name: leadName(view.Lead), Model: q.Get("model")}
	base := url.Values{}
	if d.Model != "" {
		base.Set("model", d.Model)
	}
	link := func(seq int64) string {
		v := url.Values{}
		for k, s := range base {
			v[k] = s
		}
		if seq > 0 {
			v.Set("after", strconv.FormatInt(seq, 10))
		}
		p := "/leads/" + url.PathEscape(view.Lead.ID) + "/history"
		if len(v) > 0 {
			p += "?" + v.Encode()
		}
		return p
	}
	// One row more than a page tells whether another page follows.
	var last int64
	more := false
	if d.Model != "" {
		if d.Scores, err = u.svc.LeadHistory(ctx, view.Lead.ID, d.Model, after, historyPageSize+1); err != nil {
			return err
		}
		if more = len(d.Scores) > historyPageSize; more {
			d.Scores = d.Scores[:historyPageSize]
			last = d.Scores[len(d.Scores)-1].Seq
		}
	} else {
		if d.Entries, err = u.svc.LeadTimeline(ctx, view.Lead.ID, after, historyPageSize+1); err != nil {
			return err
		}
		if more = len(d.Entries) > historyPageSize; more {
			d.Entries = d.Entries[:historyPageSize]
			last = d.Entries[len(d.Entries)-1].Seq
		}
	}
	if more {
		d.Next = link(last)
	}
	if after > 0 {
		d.First = link(0)
	}
	u.render(w, rq, http.StatusOK, "leadhistory", "history.title", d)
	return nil
}
