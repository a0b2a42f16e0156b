package webui

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/learn"
	"github.com/leadscore/leadscore/predict"
)

// The predictive models page: the artefacts trained from the stored
// outcomes, one artefact's training report, and a form that trains one.

// predictiveService is the service's stored predictive models, or
// not_found.
func (u *UI) predictiveService() (leadscore.PredictiveService, error) {
	svc, ok := u.svc.(leadscore.PredictiveService)
	if !ok {
		return nil, leadscore.Errorf(leadscore.CodeNotFound, "this service does not train predictive models")
	}
	return svc, nil
}

type predictiveList struct {
	Rows []predictiveRow
	// RuleModels are the active rule models the form offers as features.
	RuleModels []string
	Name       string
}

type predictiveRow struct {
	A   leadscore.PredictiveArtifact
	Res *predict.Result
}

// reportOf reads a stored report; a missing or unreadable one is nil.
func reportOf(a *leadscore.PredictiveArtifact) *predict.Result {
	if len(a.Report) == 0 {
		return nil
	}
	var r predict.Result
	if json.Unmarshal(a.Report, &r) != nil || r.Report == nil {
		return nil
	}
	return &r
}

func (u *UI) predictivePage(w http.ResponseWriter, rq *request) error {
	svc, err := u.predictiveService()
	if err != nil {
		return err
	}
	list, err := svc.PredictiveArtifacts(rq.Context(), "")
	if err != nil {
		return err
	}
	d := predictiveList{Name: rq.URL.Query().Get("name")}
	for _, a := range list {
		d.Rows = append(d.Rows, predictiveRow{A: a, Res: reportOf(&a)})
	}
	if d.RuleModels, err = u.ruleModels(rq); err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "predictive", "predictive.title", d)
	return nil
}

// ruleModels are the active models of kind rules.
func (u *UI) ruleModels(rq *request) ([]string, error) {
	active, err := u.svc.ActiveModels(rq.Context())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range active {
		if v.Spec != nil && (v.Spec.Kind == "" || v.Spec.Kind == leadscore.KindRules) {
			out = append(out, v.Name)
		}
	}
	return out, nil
}

type predictiveDetail struct {
	A          *leadscore.PredictiveArtifact
	Res        *predict.Result
	Used       int
	Dropped    int
	Chart      template.HTML
	Importance []predict.Importance
	RuleModels []string
}

func (u *UI) predictiveModelPage(w http.ResponseWriter, rq *request) error {
	svc, err := u.predictiveService()
	if err != nil {
		return err
	}
	a, err := svc.PredictiveArtifact(rq.Context(), rq.PathValue("name"), rq.PathValue("version"))
	if err != nil {
		return err
	}
	d := predictiveDetail{A: a, Res: reportOf(a)}
	if d.Res != nil {
		for _, f := range d.Res.Features {
			if f.Status == "used" {
				d.Used++
			} else {
				d.Dropped++
			}
		}
		d.Chart = calibrationChart(rq.L, d.Res.Calibration)
		d.Importance = d.Res.Importance[:min(10, len(d.Res.Importance))]
	}
	if d.RuleModels, err = u.ruleModels(rq); err != nil {
		return err
	}
	u.render(w, rq, http.StatusOK, "predictivemodel", "predictive.title", d)
	return nil
}

// trainPredictive starts a training job from the form and shows the job.
func (u *UI) trainPredictive(w http.ResponseWriter, rq *request) error {
	svc, err := u.predictiveService()
	if err != nil {
		return err
	}
	opt := leadscore.PredictiveTraining{Learner: rq.PostFormValue("learner"), Rules: strings.TrimSpace(rq.PostFormValue("rules")),
		By: rq.who.User.Email}
	if s := strings.TrimSpace(rq.PostFormValue("horizon")); s != "" {
		v, err := leadscore.ParseDuration(s)
		if err != nil || v < 0 {
			return leadscore.Invalid("horizon", "%s", rq.L.T("predictive.form.badhorizon"))
		}
		opt.Horizon = v
	}
	if s := strings.TrimSpace(rq.PostFormValue("min_conversions")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return leadscore.Invalid("min_conversions", "%s", rq.L.T("predictive.form.badmin"))
		}
		opt.MinConversions = n
	}
	job, err := svc.TrainPredictive(rq.Context(), strings.TrimSpace(rq.PostFormValue("name")), opt)
	if err != nil {
		return err
	}
	http.Redirect(w, rq.Request, "/jobs/"+url.PathEscape(job.ID), http.StatusSeeOther)
	return nil
}

// calibrationChart draws predicted against observed conversion per decile
// of predicted probability: bars for what was observed, a dot for what was
// predicted, and the diagonal a calibrated model follows.
func calibrationChart(l *localizer, bins []learn.CalibrationBin) template.HTML {
	if len(bins) == 0 {
		return ""
	}
	const w, h, left, right, top, bottom = 640, 240, 48, 16, 28, 36
	most := 0.0
	for _, b := range bins {
		most = math.Max(most, math.Max(b.MeanPredicted, b.Observed))
	}
	ceil := niceCeil(100*most) / 100
	if ceil > 1 {
		ceil = 1
	}
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	slot := plotW / float64(len(bins))
	y := func(v float64) float64 { return float64(top) + plotH - v/ceil*plotH }
	var b strings.Builder
	title := html.EscapeString(l.T("predictive.chart.calibration"))
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, title, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title>`, title)
	for i := 0; i <= 4; i++ {
		v := ceil * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e3e7eb"/><text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#56606b">%s</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+4, html.EscapeString(l.Pct(v)))
	}
	observed, predicted := html.EscapeString(l.T("predictive.observed")), html.EscapeString(l.T("predictive.predicted"))
	for i, bin := range bins {
		x := float64(left) + float64(i)*slot
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2563eb"><title>%s: %s (%s)</title></rect>`,
			x+slot*0.15, y(bin.Observed), slot*0.7, y(0)-y(bin.Observed), observed, l.Pct(bin.Observed), l.T("predictive.leads", l.Num(bin.Count)))
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="#f59e0b" stroke="#7c4a03"><title>%s: %s</title></circle>`,
			x+slot/2, y(bin.MeanPredicted), predicted, l.Pct(bin.MeanPredicted))
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#56606b">%d</text>`, x+slot/2, h-bottom+14, i+1)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="10" height="10" fill="#2563eb"/><text x="%d" y="17" font-size="12">%s</text>`, left, left+14, observed)
	fmt.Fprintf(&b, `<circle cx="%d" cy="13" r="4" fill="#f59e0b" stroke="#7c4a03"/><text x="%d" y="17" font-size="12">%s</text>`, left+165, left+174, predicted)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#56606b">%s</text>`,
		left+int(plotW/2), h-6, html.EscapeString(l.T("predictive.chart.axis")))
	b.WriteString(`</svg>`)
	// Built from numbers and escaped catalog texts only.
	return template.HTML(b.String())
}
