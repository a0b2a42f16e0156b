package analytics

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// Charts returns the report's charts as standalone SVG documents, keyed by
// a short name (histogram, bands, roc, gains); a chart without data is
// left out.
func (r *Report) Charts() map[string]string {
	out := map[string]string{}
	if len(r.Histogram) > 0 {
		out["histogram"] = histogramChart(r.Histogram)
	}
	if len(r.Bands) > 0 {
		out["bands"] = bandChart(r.Bands)
	}
	if len(r.ROC) > 0 {
		out["roc"] = rocChart(r)
		out["gains"] = gainsChart(r)
	}
	return out
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  pct,
	"num":  fmtNum,
	"f3":   func(f float64) string { return fmt.Sprintf("%.3f", f) },
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
	"add":  func(a, b int) int { return a + b },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Calibration report: {{.R.Model}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;margin:0;background:#f6f7f9}
main{max-width:1360px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#56606b;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde2e7;border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(640px,1fr));gap:16px}
.charts figure{margin:0;background:#fff;border:1px solid #dde2e7;border-radius:6px;padding:8px}
svg.chart{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;background:#fff;border:1px solid #dde2e7}
th,td{padding:4px 10px;border-bottom:1px solid #eceff2;text-align:right}
th:first-child,td:first-child{text-align:left}
ul.why{margin:2px 0 0;padding-left:18px;color:#444;text-align:left}
td.why{text-align:left}
</style>
</head>
<body>
<main>
<h1>Calibration report: {{.R.Model}}</h1>
<p class="sub">model version {{.R.Version}} · scored as of {{date .R.AsOf}}{{if .R.Horizon}}, or {{.R.Horizon}} before each lead's outcome date{{end}}</p>
<div class="cards">
<div class="card">leads<b>{{.R.Leads}}</b></div>
<div class="card">with outcome<b>{{.R.WithOutcome}}</b></div>
<div class="card">converted<b>{{.R.Converted}} ({{pct .R.BaseRate}})</b></div>
<div class="card">ROC AUC<b>{{f3 .R.AUC}}</b></div>
<div class="card">mean score, converted<b>{{num .R.MeanScoreConverted}}</b></div>
<div class="card">mean score, not converted<b>{{num .R.MeanScoreNotConverted}}</b></div>
{{with .R.AtMQL}}<div class="card">at MQL {{num .Threshold}}: precision / recall / F1<b>{{pct .Precision}} / {{pct .Recall}} / {{f3 .F1}}</b></div>{{end}}
</div>
<h2>Charts</h2>
<div class="charts">
{{range .Charts}}<figure>{{.}}</figure>
{{end}}</div>
{{if .R.Bands}}<h2>Conversion by band</h2>
<table><tr><th>band</th><th>from</th><th>leads</th><th>with outcome</th><th>converted</th><th>rate</th><th>95% interval</th></tr>
{{range .R.Bands}}<tr><td>{{.Name}}</td><td>{{num .Min}}</td><td>{{.Leads}}</td><td>{{.Known}}</td><td>{{.Converted}}</td><td>{{pct .Rate}}</td><td>{{pct .Low}} – {{pct .High}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Deciles}}<h2>Deciles (highest scores first)</h2>
<table><tr><th>decile</th><th>scores</th><th>leads</th><th>converted</th><th>rate</th><th>lift</th><th>cumulative leads</th><th>cumulative converters</th></tr>
{{range $i, $b := .R.Deciles}}<tr><td>{{add $i 1}}</td><td>{{num $b.Lo}} – {{num $b.Hi}}</td><td>{{$b.Count}}</td><td>{{$b.Positives}}</td><td>{{pct $b.Rate}}</td><td>{{printf "%.2f" $b.Lift}}</td><td>{{pct $b.CumCount}}</td><td>{{pct $b.CumPositives}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Funnel}}<h2>Funnel</h2>
<table><tr><th>stage</th><th>reached</th><th>from previous</th><th>from all leads</th></tr>
{{range .R.Funnel}}<tr><td>{{.Name}}</td><td>{{.Reached}}</td><td>{{pct .FromPrevious}}</td><td>{{pct .FromStart}}</td></tr>
{{end}}</table>{{end}}
<h2>Low-scoring leads that converted</h2>
{{template "cases" .R.LowScoreConverted}}
<h2>High-scoring leads that did not convert</h2>
{{template "cases" .R.HighScoreNotConverted}}
</main>
</body>
</html>
{{define "cases"}}{{if .}}<table><tr><th>lead</th><th>line</th><th>score</th><th>band</th><th>why</th></tr>
{{range .}}<tr><td>{{.LeadID}}</td><td>{{.Line}}</td><td>{{num .Score}}</td><td>{{.Band}}</td><td class="why"><ul class="why">{{range .Explanation}}<li>{{.}}</li>{{else}}<li>no rule counted</li>{{end}}</ul></td></tr>
{{end}}</table>{{else}}<p>none</p>{{end}}{{end}}
`))

// WriteHTML writes the report as one self-contained HTML page: styles
// inline, charts as inline SVG, no scripts and no external files, so it
// opens offline and can be mailed as an attachment.
func (r *Report) WriteHTML(w io.Writer) error {
	charts := r.Charts()
	var ordered []template.HTML
	for _, k := range []string{"histogram", "bands", "roc", "gains"} {
		if s, ok := charts[k]; ok {
			// The SVG is built from numbers and escaped labels only.
			ordered = append(ordered, template.HTML(s))
		}
	}
	return reportTemplate.Execute(w, struct {
		R      *Report
		Charts []template.HTML
	}{r, ordered})
}
