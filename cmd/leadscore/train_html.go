package main

import (
	"fmt"
	"html/template"
	"os"
	"strings"
)

// svgChart draws points (x and y in 0..1) as a polyline over a diagonal
// reference, the shape of ROC, gains and calibration charts alike.
type svgChart struct {
	Title, XLabel, YLabel string
	Points                [][2]float64
	Markers               bool
}

func (c svgChart) SVG() template.HTML {
	const w, h, pad = 320.0, 240.0, 36.0
	px := func(x float64) float64 { return pad + x*(w-2*pad) }
	py := func(y float64) float64 { return h - pad - y*(h-2*pad) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img" aria-label="%s">`, w, h, template.HTMLEscapeString(c.Title))
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`, pad, pad, w-2*pad, h-2*pad)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#bbb" stroke-dasharray="4 3"/>`, px(0), py(0), px(1), py(1))
	var pts []string
	for _, p := range c.Points {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(clamp01(p[0])), py(clamp01(p[1]))))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="%s"/>`, strings.Join(pts, " "))
	if c.Markers {
		for _, p := range c.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#1f6feb"/>`, px(clamp01(p[0])), py(clamp01(p[1])))
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" text-anchor="middle">%s</text>`, w/2, h-6, template.HTMLEscapeString(c.XLabel))
	fmt.Fprintf(&b, `<text x="12" y="%.0f" font-size="12" text-anchor="middle" transform="rotate(-90 12 %.0f)">%s</text>`, h/2, h/2, template.HTMLEscapeString(c.YLabel))
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="13" text-anchor="middle" font-weight="bold">%s</text>`, w/2, template.HTMLEscapeString(c.Title))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

var trainReportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) },
	"f4":  func(v float64) string { return fmt.Sprintf("%.4f", v) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Training report: {{.Target}}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
.charts{display:flex;flex-wrap:wrap;gap:1em}.leak{color:#b00}.warn{color:#a60}.big{font-size:22px;font-weight:bold}</style></head><body>
<h1>{{.Res.Learner}} model of “{{.Target}}”</h1>
<p>{{.Res.Read.Rows}} leads, {{.Res.Read.Converted}} converted. Data: {{.Leads}}.</p>
{{with .Res.OutOfTime}}<p class="big">Out-of-time AUC {{f4 .AUC}}</p><p>Trained on the earliest {{.TrainRows}} leads (by {{$.Res.OrderBy}}), tested on the latest {{.TestRows}}.</p>{{end}}
{{with .Res.CV}}<p>Cross-validated AUC {{f4 .Mean}} ± {{f4 .Std}} over {{.Folds}} stratified folds. Lift: top 10% {{printf "%.2f" $.Res.LiftTop10}}×, top 20% {{printf "%.2f" $.Res.LiftTop20}}×.</p>{{end}}
{{if not .Res.Activatable}}<p class="leak">Not activatable: {{range .Res.NotActivatable}}{{.}} {{end}}</p>{{end}}
{{with .Res.Challenge}}<p>Challenger: {{.Reason}}.</p>{{end}}
{{with .Res.Rules}}{{if .Error}}<p>Rule model {{.Model}}: no comparison ({{.Error}}).</p>{{else}}<p>Rule model {{.Model}} on the same {{.Leads}} leads: AUC {{f4 .RuleAUC}} (predictive {{f4 .PredictAUC}}).</p>{{end}}{{end}}
<div class="charts">{{range .Charts}}{{.SVG}}{{end}}</div>
<h2>Calibration by decile</h2><table><tr><th>predicted</th><th>observed</th><th>leads</th></tr>
{{range .Res.Calibration}}<tr><td>{{pct .MeanPredicted}}</td><td>{{pct .Observed}}</td><td>{{.Count}}</td></tr>{{end}}</table>
<h2>Features</h2><table><tr><th>feature</th><th>status</th><th>AUC alone</th><th>why</th></tr>
{{range .Res.Features}}<tr><td>{{.Name}}</td><td{{if eq .Status "leak"}} class="leak"{{end}}>{{.Status}}</td><td>{{printf "%.3f" .AUC}}</td><td>{{.Reason}}{{with .Warning}}<span class="warn">{{.}}</span>{{end}}</td></tr>{{end}}</table>
{{if .Res.Importance}}<h2>What drives the score</h2><table>{{range .Res.Importance}}<tr><td>{{.Feature}}</td><td>{{pct .Share}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))

func writeTrainHTML(path string, f *trainFlags, res *trainResult) error {
	var charts []svgChart
	if len(res.ROC) > 0 {
		c := svgChart{Title: "ROC (cross-validated)", XLabel: "false positive rate", YLabel: "true positive rate"}
		for _, p := range res.ROC {
			c.Points = append(c.Points, [2]float64{p.FPR, p.TPR})
		}
		charts = append(charts, c)
	}
	if len(res.Deciles) > 0 {
		c := svgChart{Title: "Gains", XLabel: "share of leads, best first", YLabel: "share of conversions", Points: [][2]float64{{0, 0}}, Markers: true}
		for _, b := range res.Deciles {
			c.Points = append(c.Points, [2]float64{b.CumCount, b.CumPositives})
		}
		charts = append(charts, c)
	}
	if len(res.Calibration) > 0 {
		top := 0.0
		for _, b := range res.Calibration {
			top = max(top, b.MeanPredicted, b.Observed)
		}
		top = max(top, 0.01)
		c := svgChart{Title: fmt.Sprintf("Calibration (axes to %.0f%%)", 100*top), XLabel: "predicted", YLabel: "observed", Markers: true}
		for _, b := range res.Calibration {
			c.Points = append(c.Points, [2]float64{b.MeanPredicted / top, b.Observed / top})
		}
		charts = append(charts, c)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	err = trainReportHTML.Execute(fh, map[string]any{"Target": f.target, "Leads": f.leads, "Res": res, "Charts": charts})
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}
