package webui

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// The champion/challenger page under Reports: start or stop a version of a
// model in shadow, and the side-by-side comparison the analytics API
// computes from the stored scores.

// shadowService is the service's champion/challenger, or not_found.
func (u *UI) shadowService() (analytics.ShadowService, error) {
	svc, ok := u.svc.(analytics.ShadowService)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service cannot run shadow versions")
	}
	return svc, nil
}

type shadowData struct {
	Model  string
	Active string
	// Candidates are the stored versions that can run in shadow: the
	// inactive ones, newest first.
	Candidates []leadscore.ModelVersion
	Shadow     *leadscore.Shadow
	Res        *analytics.ShadowComparison
	// ReportError says why there is no comparison (the shadow's version
	// was activated since, say).
	ReportError string
	Verdict     string
	// Days since the shadow started, to a tenth.
	Days   string
	Charts []reportChart
	// Replaced and Job are what the last start did, from its redirect.
	Replaced string
	Job      string
	Stopped  bool
	Sides    []shadowSideRow
	// BandTables are each version's conversion by band.
	BandTables []shadowBandTable
}

type shadowBandTable struct {
	L      *localizer
	Title  string
	Report *analytics.Report
}

// shadowSideRow is one line of the side-by-side table.
type shadowSideRow struct {
	Label                 string
	Champion, Challenger  string
	ChampionBetter, Equal bool
}

func (u *UI) shadowPage(w http.ResponseWriter, rq *request) error {
	svc, err := u.shadowService()
	if err != nil {
		return err
	}
	d := shadowData{Model: rq.PathValue("model"), Replaced: rq.URL.Query().Get("replaced"), Job: rq.URL.Query().Get("job"),
		Stopped: rq.URL.Query().Get("stopped") != ""}
	versions, err := u.svc.ModelVersions(rq.Context(), d.Model)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		return leadscore.Errorf(leadscore.CodeNotFound, "no model %q", d.Model)
	}
	for _, v := range versions {
		if v.Active {
			d.Active = v.Version
		} else {
			d.Candidates = append(d.Candidates, v)
		}
	}
	slices.SortStableFunc(d.Candidates, func(a, b leadscore.ModelVersion) int { return b.CreatedAt.Compare(a.CreatedAt) })
	shadows, err := svc.Shadows(rq.Context())
	if err != nil {
		return err
	}
	for i := range shadows {
		if shadows[i].Model == d.Model {
			d.Shadow = &shadows[i]
		}
	}
	if d.Shadow != nil {
		res, err := svc.ShadowReport(rq.Context(), analytics.ShadowQuery{Model: d.Model})
		switch {
		case err == nil:
			d.Res = res
			d.Verdict = verdictText(rq.L, res.Verdict)
			d.Days = rq.L.p.Sprintf("%.1f", res.Days)
			d.Sides = shadowSides(rq.L, res)
			d.BandTables = []shadowBandTable{
				{L: rq.L, Title: rq.L.T("shadow.champion") + " " + res.Champion.Version, Report: res.Champion.Report},
				{L: rq.L, Title: rq.L.T("shadow.challenger") + " " + res.Challenger.Version, Report: res.Challenger.Report},
			}
			if c := shadowDistributionChart(rq.L, res); c != "" {
				d.Charts = append(d.Charts, reportChart{Caption: rq.L.T("shadow.chart.distribution"), SVG: c})
			}
			if c := shadowBandChart(rq.L, res); c != "" {
				d.Charts = append(d.Charts, reportChart{Caption: rq.L.T("shadow.chart.bands"), SVG: c})
			}
		case leadscore.CodeOf(err) == leadscore.CodeConflict:
			d.ReportError = err.Error()
		default:
			return err
		}
	}
	u.render(w, rq, http.StatusOK, "shadow", "shadow.title", d)
	return nil
}

// verdictText words the verdict in the user's language.
func verdictText(l *localizer, v analytics.Verdict) string {
	switch v.Kind {
	case analytics.VerdictNotEnough:
		return l.T("shadow.verdict.notenough", l.Num(v.Outcomes), l.Num(v.Needed))
	case analytics.VerdictOneOutcome:
		return l.T("shadow.verdict.oneoutcome", l.Num(v.Outcomes))
	}
	if v.AUCDiff == nil || v.AUCDiffLow == nil || v.AUCDiffHigh == nil {
		return v.Text
	}
	diff, lo, hi := l.p.Sprintf("%+.3f", *v.AUCDiff), l.p.Sprintf("%+.3f", *v.AUCDiffLow), l.p.Sprintf("%+.3f", *v.AUCDiffHigh)
	switch v.Kind {
	case analytics.VerdictBetter:
		return l.T("shadow.verdict.better", diff, lo, hi, l.Num(v.Outcomes))
	case analytics.VerdictWorse:
		return l.T("shadow.verdict.worse", diff, lo, hi, l.Num(v.Outcomes))
	}
	return l.T("shadow.verdict.same", diff, lo, hi, l.Num(v.Outcomes))
}

// shadowSides is the side-by-side table; the better value of a measure
// where higher is better is marked.
func shadowSides(l *localizer, c *analytics.ShadowComparison) []shadowSideRow {
	a, b := c.Champion.Report, c.Challenger.Report
	row := func(key string, x, y string) shadowSideRow {
		return shadowSideRow{Label: l.T(key), Champion: x, Challenger: y}
	}
	higher := func(r shadowSideRow, x, y float64) shadowSideRow {
		r.ChampionBetter, r.Equal = x > y, x == y
		return r
	}
	rows := []shadowSideRow{
		row("shadow.row.version", c.Champion.Version, c.Challenger.Version),
		row("shadow.row.mqls", l.Num(c.Champion.MQLs), l.Num(c.Challenger.MQLs)),
		row("shadow.row.mean", l.Num(c.Champion.MeanScore), l.Num(c.Challenger.MeanScore)),
	}
	rows[0].Equal, rows[1].Equal, rows[2].Equal = true, true, true
	if a.Converted > 0 && a.Converted < a.WithOutcome {
		rows = append(rows, higher(row("reports.auc", l.Fixed(a.AUC), l.Fixed(b.AUC)), a.AUC, b.AUC))
	}
	threshold := func(r *analytics.Report) string {
		if r.MQL == nil {
			return "–"
		}
		return l.Num(*r.MQL)
	}
	if a.MQL != nil || b.MQL != nil {
		t := row("shadow.row.threshold", threshold(a), threshold(b))
		t.Equal = true
		rows = append(rows, t)
	}
	if a.AtMQL != nil && b.AtMQL != nil {
		rows = append(rows,
			higher(row("reports.precision", l.Pct(a.AtMQL.Precision), l.Pct(b.AtMQL.Precision)), a.AtMQL.Precision, b.AtMQL.Precision),
			higher(row("reports.recall", l.Pct(a.AtMQL.Recall), l.Pct(b.AtMQL.Recall)), a.AtMQL.Recall, b.AtMQL.Recall))
	}
	return rows
}

// startShadow runs the version posted in shadow and comes back to the
// page, saying which shadow it replaced.
func (u *UI) startShadow(w http.ResponseWriter, rq *request) error {
	svc, err := u.shadowService()
	if err != nil {
		return err
	}
	model := rq.PathValue("model")
	version := strings.TrimSpace(rq.PostFormValue("version"))
	if version == "" {
		return leadscore.Invalid("version", "%s", rq.L.T("shadow.pickversion"))
	}
	_, job, replaced, err := svc.StartShadow(rq.Context(), model, version, rq.who.User.Email)
	if err != nil {
		return err
	}
	q := url.Values{"job": {job.ID}}
	if replaced != nil {
		q.Set("replaced", replaced.Version)
	}
	http.Redirect(w, rq.Request, "/reports/"+url.PathEscape(model)+"/shadow?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (u *UI) stopShadow(w http.ResponseWriter, rq *request) error {
	svc, err := u.shadowService()
	if err != nil {
		return err
	}
	model := rq.PathValue("model")
	if err := svc.StopShadow(rq.Context(), model); err != nil {
		return err
	}
	http.Redirect(w, rq.Request, "/reports/"+url.PathEscape(model)+"/shadow?stopped=1", http.StatusSeeOther)
	return nil
}

// pairedBars draws groups of two bars (champion, challenger) with every
// text from the catalogs, scaled to a round top (niceCeil, chart.go).
func pairedBars(l *localizer, title string, labels []string, a, b []float64, format func(float64) string, top float64) template.HTML {
	if len(labels) == 0 {
		return ""
	}
	const w, h, left, right, ptop, bottom = 640, 240, 56, 16, 28, 36
	plotW, plotH := float64(w-left-right), float64(h-ptop-bottom)
	slot := plotW / float64(len(labels))
	bar := slot * 0.38
	y := func(v float64) float64 { return float64(ptop) + plotH - v/top*plotH }
	var s strings.Builder
	t := html.EscapeString(title)
	fmt.Fprintf(&s, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, t, w, h, w, h)
	fmt.Fprintf(&s, `<title>%s</title>`, t)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e7eb"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#56606b">%s</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, html.EscapeString(format(v)))
	}
	champ, chall := html.EscapeString(l.T("shadow.champion")), html.EscapeString(l.T("shadow.challenger"))
	every := max(1, len(labels)/10)
	for i, lab := range labels {
		x := float64(left) + float64(i)*slot + slot*0.1
		lab = html.EscapeString(lab)
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#9aa5b1"><title>%s %s: %s</title></rect>`,
			x, y(a[i]), bar, y(0)-y(a[i]), champ, lab, html.EscapeString(format(a[i])))
		fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2563eb"><title>%s %s: %s</title></rect>`,
			x+bar, y(b[i]), bar, y(0)-y(b[i]), chall, lab, html.EscapeString(format(b[i])))
		if i%every == 0 {
			fmt.Fprintf(&s, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#56606b">%s</text>`, x+bar, h-bottom+14, lab)
		}
	}
	fmt.Fprintf(&s, `<rect x="%d" y="8" width="10" height="10" fill="#9aa5b1"/><text x="%d" y="17" font-size="12">%s</text>`, left, left+14, champ)
	fmt.Fprintf(&s, `<rect x="%d" y="8" width="10" height="10" fill="#2563eb"/><text x="%d" y="17" font-size="12">%s</text>`, left+200, left+214, chall)
	s.WriteString(`</svg>`)
	// Built from numbers and escaped texts only.
	return template.HTML(s.String())
}

// shadowDistributionChart: leads per score range under each version.
func shadowDistributionChart(l *localizer, c *analytics.ShadowComparison) template.HTML {
	ha, hb := c.Champion.Report.Histogram, c.Challenger.Report.Histogram
	if len(ha) == 0 || len(ha) != len(hb) || c.Leads == 0 {
		return ""
	}
	labels := make([]string, len(ha))
	a, b := make([]float64, len(ha)), make([]float64, len(ha))
	most := 1.0
	for i := range ha {
		labels[i] = l.Num(ha[i].Lo)
		a[i] = float64(ha[i].Converted + ha[i].NotConverted + ha[i].Unknown)
		b[i] = float64(hb[i].Converted + hb[i].NotConverted + hb[i].Unknown)
		most = max(most, a[i], b[i])
	}
	return pairedBars(l, l.T("shadow.chart.distribution"), labels, a, b, func(v float64) string { return l.Num(v) }, niceCeil(most))
}

// shadowBandChart: conversion by band under each version, for the bands
// both versions name.
func shadowBandChart(l *localizer, c *analytics.ShadowComparison) template.HTML {
	if c.WithOutcome == 0 {
		return ""
	}
	rate := map[string]float64{}
	for _, bs := range c.Challenger.Report.Bands {
		rate[bs.Name] = bs.Rate
	}
	var labels []string
	var a, b []float64
	for _, bs := range c.Champion.Report.Bands {
		if r, ok := rate[bs.Name]; ok {
			labels = append(labels, bs.Name)
			a, b = append(a, bs.Rate), append(b, r)
		}
	}
	return pairedBars(l, l.T("shadow.chart.bands"), labels, a, b, l.Pct, 1)
}
