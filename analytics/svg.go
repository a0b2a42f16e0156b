package analytics

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The charts are drawn on the server as plain SVG: they open offline,
// print, and need no JavaScript. Every chart shares one frame: a fixed
// view box, a plot area with a left axis of percentages or counts, and a
// title that screen readers get as the SVG's accessible name.

const (
	chartW, chartH             = 640, 320
	padL, padR, padT, padB     = 56, 16, 36, 52
	plotW                      = chartW - padL - padR
	plotH                      = chartH - padT - padB
	colorConverted, colorOther = "#1b7f5f", "#9aa5b1"
	colorLine, colorGrid       = "#2356a8", "#e3e7ec"
)

type svgChart struct {
	b strings.Builder
}

func newChart(id, title string) *svgChart {
	c := &svgChart{}
	fmt.Fprintf(&c.b, `<svg id="%s" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-title">`,
		id, chartW, chartH, chartW, chartH, id)
	fmt.Fprintf(&c.b, `<title id="%s-title">%s</title>`, id, esc(title))
	fmt.Fprintf(&c.b, `<rect width="%d" height="%d" fill="#fff"/>`, chartW, chartH)
	fmt.Fprintf(&c.b, `<text x="%d" y="22" font-size="15" font-weight="600" fill="#222">%s</text>`, padL, esc(title))
	return c
}

func esc(s string) string { return html.EscapeString(s) }

// x and y map data in [0,1] to the plot area.
func px(f float64) float64 { return padL + f*plotW }
func py(f float64) float64 { return padT + (1-f)*plotH }

// yAxis draws horizontal grid lines and labels for a 0..top axis.
func (c *svgChart) yAxis(top float64, label func(float64) string) {
	for i := 0; i <= 4; i++ {
		f := float64(i) / 4
		y := py(f)
		fmt.Fprintf(&c.b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, padL, padL+plotW, y, y, colorGrid)
		fmt.Fprintf(&c.b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#555">%s</text>`, padL-6, y+4, esc(label(f*top)))
	}
	fmt.Fprintf(&c.b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#444"/>`, padL, padL+plotW, padT+plotH, padT+plotH)
}

func (c *svgChart) xLabel(x float64, s string) {
	fmt.Fprintf(&c.b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>`, x, padT+plotH+16, esc(s))
}

func (c *svgChart) axisTitle(s string) {
	fmt.Fprintf(&c.b, `<text x="%d" y="%d" font-size="12" text-anchor="middle" fill="#333">%s</text>`, padL+plotW/2, chartH-10, esc(s))
}

func (c *svgChart) legend(items ...[2]string) {
	x := padL + plotW - 10
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		w := 18 + 7*len(it[1])
		x -= w
		fmt.Fprintf(&c.b, `<rect x="%d" y="12" width="12" height="12" fill="%s"/>`, x, it[0])
		fmt.Fprintf(&c.b, `<text x="%d" y="22" font-size="12" fill="#333">%s</text>`, x+16, esc(it[1]))
	}
}

func (c *svgChart) String() string { return c.b.String() + "</svg>" }

func pct(f float64) string {
	if f >= 0.1 || f == 0 {
		return fmt.Sprintf("%.0f%%", 100*f)
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// niceTop rounds a maximum up to 1, 2, 4 or 8 times a power of ten, so
// that the four grid steps fall on round numbers.
func niceTop(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 4, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// histogramChart shows, per score range, the share of converters and of
// non-converters that fall in it: two distributions that should sit apart.
func histogramChart(bins []HistogramBin) string {
	c := newChart("chart-histogram", "Score distribution by outcome")
	var conv, other int
	for _, b := range bins {
		conv += b.Converted
		other += b.NotConverted
	}
	share := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	top := 0.0
	for _, b := range bins {
		top = max(top, share(b.Converted, conv), share(b.NotConverted, other))
	}
	top = niceTop(top)
	c.yAxis(top, pct)
	c.legend([2]string{colorConverted, "converted"}, [2]string{colorOther, "did not convert"})
	slot := float64(plotW) / float64(len(bins))
	for i, b := range bins {
		x := padL + float64(i)*slot
		for k, v := range []float64{share(b.Converted, conv), share(b.NotConverted, other)} {
			h := v / top * plotH
			col := colorConverted
			if k == 1 {
				col = colorOther
			}
			fmt.Fprintf(&c.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s–%s: %s</title></rect>`,
				x+slot*0.1+float64(k)*slot*0.4, padT+plotH-h, slot*0.4, h, col, fmtNum(b.Lo), fmtNum(b.Hi), pct(v))
		}
		if i%2 == 0 {
			c.xLabel(x, fmtNum(b.Lo))
		}
	}
	c.xLabel(padL+plotW, fmtNum(bins[len(bins)-1].Hi))
	c.axisTitle("score (share of each outcome group per range)")
	return c.String()
}

// bandChart shows the conversion rate of each band with its 95% interval.
func bandChart(bands []BandStats) string {
	c := newChart("chart-bands", "Conversion rate by band")
	top := 0.0
	for _, b := range bands {
		top = max(top, b.High, b.Rate)
	}
	top = niceTop(top)
	c.yAxis(top, pct)
	slot := float64(plotW) / float64(max(1, len(bands)))
	for i, b := range bands {
		x := padL + float64(i)*slot
		h := b.Rate / top * plotH
		fmt.Fprintf(&c.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s of %d leads</title></rect>`,
			x+slot*0.2, padT+plotH-h, slot*0.6, h, colorLine, esc(b.Name), pct(b.Rate), b.Known)
		mid := x + slot/2
		if b.Known > 0 {
			fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#111" stroke-width="1.5"/>`, mid, mid, py(b.Low/top), py(b.High/top))
			for _, v := range []float64{b.Low, b.High} {
				fmt.Fprintf(&c.b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#111" stroke-width="1.5"/>`, mid-6, mid+6, py(v/top), py(v/top))
			}
		}
		fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="start" fill="#111">%s</text>`, mid+9, padT+plotH-h-4, pct(b.Rate))
		c.xLabel(mid, fmt.Sprintf("%s (%s+)", b.Name, fmtNum(b.Min)))
	}
	c.axisTitle("band (bars: conversion rate; whiskers: 95% interval)")
	return c.String()
}

// curveChart draws a curve over the unit square with the diagonal of a
// score that knows nothing.
func curveChart(id, title, xTitle, yTitle string, xs, ys []float64, note string) string {
	c := newChart(id, title)
	c.yAxis(1, pct)
	for i := 0; i <= 4; i++ {
		f := float64(i) / 4
		c.xLabel(px(f), pct(f))
	}
	fmt.Fprintf(&c.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999" stroke-dasharray="4 4"/>`, px(0), py(0), px(1), py(1))
	var pts strings.Builder
	for i := range xs {
		fmt.Fprintf(&pts, "%.1f,%.1f ", px(xs[i]), py(ys[i]))
	}
	fmt.Fprintf(&c.b, `<polyline class="curve" points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`, strings.TrimSpace(pts.String()), colorLine)
	if note != "" {
		fmt.Fprintf(&c.b, `<text x="%.1f" y="%.1f" font-size="13" text-anchor="end" fill="#111">%s</text>`, px(0.97), py(0.06), esc(note))
	}
	c.axisTitle(xTitle)
	fmt.Fprintf(&c.b, `<text x="14" y="%d" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 14 %d)">%s</text>`, padT+plotH/2, padT+plotH/2, esc(yTitle))
	return c.String()
}

func rocChart(r *Report) string {
	xs, ys := make([]float64, len(r.ROC)), make([]float64, len(r.ROC))
	for i, p := range r.ROC {
		xs[i], ys[i] = p.FPR, p.TPR
	}
	return curveChart("chart-roc", "ROC curve", "false positive rate", "true positive rate", xs, ys, fmt.Sprintf("AUC %.3f", r.AUC))
}

func gainsChart(r *Report) string {
	xs, ys := []float64{0}, []float64{0}
	for _, b := range r.Deciles {
		xs = append(xs, b.CumCount)
		ys = append(ys, b.CumPositives)
	}
	note := ""
	if len(r.Deciles) > 0 {
		note = fmt.Sprintf("top 10%% of leads: %s of converters", pct(r.Deciles[0].CumPositives))
	}
	return curveChart("chart-gains", "Cumulative gains", "share of leads, highest scores first", "share of converters", xs, ys, note)
}

func fmtNum(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}
