package webui

import (
	"fmt"
	"math"
	"strings"

	"github.com/leadscore/leadscore"
)

// chart is a score history drawn as SVG on the server: a step line of the
// score with a marker per change, each marker titled with its cause, so
// the chart reads without JavaScript (and the same points are listed
// below it as a table).
type chart struct {
	Width, Height int
	Path          string
	Points        []chartPoint
	YTicks        []chartTick
	XTicks        []chartTick
	Top, Bottom   int
	Left, Right   int
}

type chartPoint struct {
	X, Y  float64
	Cause string
	Title string
	Entry leadscore.LedgerEntry
}

type chartTick struct {
	Pos   float64
	Label string
	// Anchor is the SVG text-anchor that keeps the label inside the chart.
	Anchor string
}

const (
	chartW, chartH              = 640, 220
	padL, padR, padTop, padBott = 48, 16, 12, 28
)

func historyChart(l *localizer, hist []leadscore.LedgerEntry) *chart {
	if len(hist) == 0 {
		return nil
	}
	c := &chart{Width: chartW, Height: chartH, Top: padTop, Bottom: chartH - padBott, Left: padL, Right: chartW - padR}
	t0, t1 := hist[0].At, hist[len(hist)-1].At
	lo, hi := 0.0, 1.0
	for _, e := range hist {
		lo, hi = math.Min(lo, e.NewScore), math.Max(hi, e.NewScore)
	}
	hi = niceCeil(hi)
	span := t1.Sub(t0).Seconds()
	x := func(i int) float64 {
		if span <= 0 {
			return float64(c.Left+c.Right) / 2
		}
		return float64(c.Left) + hist[i].At.Sub(t0).Seconds()/span*float64(c.Right-c.Left)
	}
	y := func(v float64) float64 {
		return float64(c.Bottom) - (v-lo)/(hi-lo)*float64(c.Bottom-c.Top)
	}
	var path strings.Builder
	for i, e := range hist {
		px, py := x(i), y(e.NewScore)
		if i == 0 {
			fmt.Fprintf(&path, "M%.1f %.1f", px, py)
		} else {
			fmt.Fprintf(&path, " H%.1f V%.1f", px, py)
		}
		title := l.T("chart.point", l.DateTime(e.At), l.Num(e.NewScore), l.T("cause."+string(e.Cause)))
		if e.Detail != "" {
			title += " — " + e.Detail
		}
		c.Points = append(c.Points, chartPoint{X: px, Y: py, Cause: string(e.Cause), Title: title, Entry: e})
	}
	if span > 0 {
		fmt.Fprintf(&path, " H%d", c.Right)
	}
	c.Path = path.String()
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		c.YTicks = append(c.YTicks, chartTick{Pos: y(v), Label: l.Num(math.Round(v))})
	}
	if span > 0 {
		c.XTicks = append(c.XTicks, chartTick{Pos: float64(c.Left), Label: l.Date(t0), Anchor: "start"},
			chartTick{Pos: float64(c.Right), Label: l.Date(t1), Anchor: "end"})
	} else {
		c.XTicks = append(c.XTicks, chartTick{Pos: float64(c.Left+c.Right) / 2, Label: l.Date(t0), Anchor: "middle"})
	}
	return c
}

// niceCeil rounds a chart's top up to a round number.
func niceCeil(v float64) float64 {
	if v <= 10 {
		return 10
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= v {
			return m * mag
		}
	}
	return 10 * mag
}
