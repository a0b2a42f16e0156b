package webui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// The reports pages show what the analytics API computes over the stored
// leads; the web UI adds no measure of its own.

// reporter is the service's analytics, or not_found when it has none.
func (u *UI) reporter() (analytics.Reporter, error) {
	rep, ok := u.svc.(analytics.Reporter)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service has no analytics")
	}
	return rep, nil
}

// Pct formats a share (0..1) as a percentage with the language's
// separators.
func (l *localizer) Pct(f float64) string {
	if math.IsNaN(f) {
		return ""
	}
	return l.p.Sprintf("%.1f%%", 100*f)
}

// Fixed formats a measure such as AUC or F1 with three decimals.
func (l *localizer) Fixed(f float64) string { return l.p.Sprintf("%.3f", f) }

type reportsIndex struct {
	Models []string
}

func (u *UI) reportsPage(w http.ResponseWriter, rq *request) error {
	active, err := u.svc.ActiveModels(rq.Context())
	if err != nil {
		return err
	}
	var d reportsIndex
	for _, v := range active {
		d.Models = append(d.Models, v.Name)
	}
	sort.Strings(d.Models)
	if len(d.Models) == 1 {
		http.Redirect(w, rq.Request, "/reports/"+url.PathEscape(d.Models[0]), http.StatusSeeOther)
		return nil
	}
	u.render(w, rq, http.StatusOK, "reports", "reports.title", d)
	return nil
}

// reportData is the dashboard of one model.
type reportData struct {
	Model  string
	Models []string
	Res    *analytics.DashboardResult
	Charts []reportChart
	// The form: the threshold target and how outcomes are read.
	Target    string
	Capacity  string
	MinRate   string
	LostAfter string
}

type reportChart struct {
	Caption string
	SVG     template.HTML
}

// reportTarget reads the threshold target of the dashboard's form.
func reportTarget(rq *request, d *reportData) (analytics.Target, error) {
	q := rq.URL.Query()
	d.Target = q.Get("target")
	d.Capacity = strings.TrimSpace(q.Get("capacity"))
	d.MinRate = strings.TrimSpace(q.Get("min_rate"))
	var t analytics.Target
	switch d.Target {
	case "", "best_f1":
		d.Target = "best_f1"
		t.BestF1 = true
	case "capacity":
		v, err := strconv.ParseFloat(d.Capacity, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 1) {
			return t, leadscore.Invalid("capacity", "the capacity is a positive number of MQLs per week (%q given)", d.Capacity)
		}
		t.CapacityPerWeek = v
	case "min_rate":
		v, err := strconv.ParseFloat(strings.TrimSuffix(d.MinRate, "%"), 64)
		if err != nil || !(v > 0 && v <= 100) {
			return t, leadscore.Invalid("min_rate", "the minimum conversion rate is a percentage above 0 and at most 100 (%q given)", d.MinRate)
		}
		t.MinRate = v / 100
	default:
		return t, leadscore.Invalid("target", "unknown target %q", d.Target)
	}
	return t, nil
}

func (u *UI) reportPage(w http.ResponseWriter, rq *request) error {
	rep, err := u.reporter()
	if err != nil {
		return err
	}
	d := reportData{Model: rq.PathValue("model")}
	active, err := u.svc.ActiveModels(rq.Context())
	if err != nil {
		return err
	}
	for _, v := range active {
		d.Models = append(d.Models, v.Name)
	}
	sort.Strings(d.Models)
	t, err := reportTarget(rq, &d)
	if err != nil {
		return err
	}
	q := analytics.Query{Model: d.Model}
	if d.LostAfter = strings.TrimSpace(rq.URL.Query().Get("lost_after")); d.LostAfter != "" {
		v, err := leadscore.ParseDuration(d.LostAfter)
		if err != nil || v <= 0 {
			return leadscore.Invalid("lost_after", "%q is not a duration such as 90d", d.LostAfter)
		}
		q.LostAfter = v.Std()
	}
	if d.Res, err = rep.Dashboard(rq.Context(), q, t); err != nil {
		return err
	}
	charts := d.Res.Report.Charts()
	for _, k := range []string{"histogram", "bands", "roc", "gains"} {
		if s, ok := charts[k]; ok {
			// analytics builds the SVG from numbers and escaped labels.
			d.Charts = append(d.Charts, reportChart{Caption: rq.L.T("reports.chart." + k), SVG: template.HTML(s)})
		}
	}
	u.render(w, rq, http.StatusOK, "report", "reports.title", d)
	return nil
}

// previewData is the impact preview on the model page.
type previewData struct {
	Res   *analytics.PreviewResult
	Chart template.HTML
	// Before and After are the leads per score range under the active
	// version and under the previewed one.
	Rows []previewRow
}

type previewRow struct {
	Lo, Hi        float64
	Before, After int
}

func (u *UI) preview(rq *request, name, version string) (*previewData, error) {
	rep, err := u.reporter()
	if err != nil {
		return nil, err
	}
	res, err := rep.PreviewVersion(rq.Context(), analytics.Query{Model: name, Version: version})
	if err != nil {
		return nil, err
	}
	d := &previewData{Res: res}
	bt := res.Backtest
	if bt.Current != nil && len(bt.Current.Final) == len(bt.Draft.Final) {
		for i, b := range bt.Draft.Final {
			a := bt.Current.Final[i]
			d.Rows = append(d.Rows, previewRow{Lo: b.Lo, Hi: b.Hi, Before: a.Converted + a.NotConverted + a.Unknown,
				After: b.Converted + b.NotConverted + b.Unknown})
		}
		d.Chart = distributionChart(rq.L, d.Rows)
	}
	return d, nil
}

// distributionChart draws the leads per score range before and after as
// paired bars, with every text from the catalogs.
func distributionChart(l *localizer, rows []previewRow) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	const w, h, left, right, top, bottom = 640, 240, 48, 16, 28, 36
	most := 1
	for _, r := range rows {
		most = max(most, r.Before, r.After)
	}
	ceil := niceCeil(float64(most))
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	slot := plotW / float64(len(rows))
	bar := slot * 0.38
	y := func(v int) float64 { return float64(top) + plotH - float64(v)/ceil*plotH }
	var b strings.Builder
	title := html.EscapeString(l.T("preview.chart"))
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, title, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	for i := 0; i <= 4; i++ {
		v := int(ceil * float64(i) / 4)
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e7eb"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#56606b">%s</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, html.EscapeString(l.Num(v)))
	}
	before, after := html.EscapeString(l.T("preview.before")), html.EscapeString(l.T("preview.after"))
	for i, r := range rows {
		x := float64(left) + float64(i)*slot + slot*0.1
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9aa5b1"><title>%s %s–%s: %s</title></rect>`,
			x, y(r.Before), bar, y(0)-y(r.Before), before, l.Num(r.Lo), l.Num(r.Hi), l.Num(r.Before))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2563eb"><title>%s %s–%s: %s</title></rect>`,
			x+bar, y(r.After), bar, y(0)-y(r.After), after, l.Num(r.Lo), l.Num(r.Hi), l.Num(r.After))
		if i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#56606b">%s</text>`,
				x+bar, h-bottom+14, html.EscapeString(l.Num(r.Lo)))
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="10" height="10" fill="#9aa5b1"/><text x="%d" y="17" font-size="12">%s</text>`, left, left+14, before)
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="10" height="10" fill="#2563eb"/><text x="%d" y="17" font-size="12">%s</text>`, left+160, left+174, after)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#56606b">%s</text>`,
		left+int(plotW/2), h-6, html.EscapeString(l.T("preview.axis")))
	b.WriteString(`</svg>`)
	// Built from numbers and escaped catalog texts only.
	return template.HTML(b.String())
}

// caseList is what the "cases" template of the dashboard renders: a list
// of surprising leads with the localizer to word it.
type caseList struct {
	L     *localizer
	Cases []analytics.Case
}

// shownCases is how many surprising leads of each kind the dashboard lists;
// the JSON and HTML reports hold more.
const shownCases = 10

func casesOf(l *localizer, cases []analytics.Case) caseList {
	return caseList{L: l, Cases: cases[:min(len(cases), shownCases)]}
}
