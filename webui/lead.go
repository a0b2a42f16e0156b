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

// historyLimit bounds the ledger entries charted per model.
const historyLimit = 500

type modelScore struct {
	Record      leadscore.ScoreRecord
	Sentences   []string
	Adjustments []string
	Chart       *chart
}

type leadData struct {
	Lead       leadscore.Lead
	Name       string
	Owner      string
	Account    *leadscore.AccountView
	Scores     []modelScore
	Events     []leadscore.StoredEvent
	Automation *leadscore.AutomationView
	History    []leadscore.HistoryEntry
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
		hist, err := u.svc.LeadHistory(ctx, id, rec.Model, 0, historyLimit)
		if err != nil {
			return err
		}
		ms.Chart = historyChart(rq.L, hist)
		d.Scores = append(d.Scores, ms)
	}
	if d.Events, err = u.svc.LeadEvents(ctx, id, 50); err != nil {
		return err
	}
	if d.History, err = u.svc.LeadTimeline(ctx, id, 0, 100); err != nil {
		return err
	}
	// Newest first: the timeline reads from what just happened.
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].At.After(d.Events[j].At) })
	if view.Lead.AccountID != "" {
		acct, err := u.svc.GetAccount(ctx, view.Lead.AccountID)
		switch {
		case err == nil:
			d.Account = acct
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

type accountData struct {
	View    *leadscore.AccountView
	Names   map[string]string
	Engaged int
	Visible map[string]bool
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
	d := accountData{View: view, Names: map[string]string{}, Visible: map[string]bool{}, Engaged: view.ActivePeople}
	for _, p := range view.People {
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
