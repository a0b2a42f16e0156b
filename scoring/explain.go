package scoring

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
)

// Explain renders an evaluation as sentences a sales rep can read, biggest
// reasons first:
//
//	+25 demo requested (2026-10-03)
//	+10 VP title
//	-10 no activity for 30 days
//	capped: engagement reached its 25-point budget (40 earned)
func Explain(ev *leadscore.Evaluation) []string {
	var lines []string
	if ev.Disqualified {
		lines = append(lines, "disqualified: "+joinReasons(ev.Reasons))
	}
	contribs := append([]leadscore.Contribution(nil), ev.Contributions...)
	sort.SliceStable(contribs, func(i, j int) bool { return contribs[i].Points > contribs[j].Points })
	for _, c := range contribs {
		if c.Points == 0 && c.Detail == "" {
			continue
		}
		lines = append(lines, contributionLine(c))
	}
	for _, a := range ev.Adjustments {
		if a.Kind == leadscore.AdjustDisqualified {
			continue
		}
		lines = append(lines, a.Text)
	}
	if ev.Qualified {
		lines = append(lines, fmt.Sprintf("qualified: score %s reached the MQL threshold", fmtPoints(ev.Score)))
	}
	for _, n := range ev.Notes {
		lines = append(lines, "note: "+n)
	}
	return lines
}

func contributionLine(c leadscore.Contribution) string {
	var b strings.Builder
	b.WriteString(fmtSigned(c.Points))
	b.WriteByte(' ')
	b.WriteString(ruleText(c))
	var when []string
	switch n := len(c.Events); {
	case c.Count == 1 && n > 0:
		when = append(when, c.Events[n-1].At.UTC().Format("2006-01-02"))
	case c.Count > 1 && n > 0:
		when = append(when, fmt.Sprintf("%d times, last %s", c.Count, c.Events[n-1].At.UTC().Format("2006-01-02")))
	case c.Count == 0 && c.Matched > 0:
		when = append(when, fmt.Sprintf("%d matched", c.Matched))
	}
	if c.Detail != "" {
		when = append(when, c.Detail)
	}
	if len(when) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(when, "; "))
		b.WriteByte(')')
	}
	return b.String()
}

func ruleText(c leadscore.Contribution) string {
	if c.Label != "" {
		return c.Label
	}
	return strings.NewReplacer("-", " ", "_", " ").Replace(c.Rule)
}

// fmtPoints prints whole numbers without decimals and others with at most
// two, so explanations read "+10" rather than "+10.00".
func fmtPoints(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	f = round2(f)
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func fmtSigned(f float64) string {
	if f >= 0 {
		return "+" + fmtPoints(f)
	}
	return fmtPoints(f)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinComma(parts []string) string { return strings.Join(parts, ", ") }

func joinReasons(r []string) string {
	if len(r) == 0 {
		return "a requirement failed"
	}
	return strings.Join(r, "; ")
}

// AccountScoreOf aggregates the scores of an account's leads the way a model
// says (sum, max or avg of the top N; all when top is 0).
func AccountScoreOf(spec leadscore.AccountScore, scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	s := append([]float64(nil), scores...)
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	if spec.Top > 0 && len(s) > spec.Top {
		s = s[:spec.Top]
	}
	switch spec.Method {
	case "sum":
		var t float64
		for _, v := range s {
			t += v
		}
		return round2(t)
	case "avg":
		var t float64
		for _, v := range s {
			t += v
		}
		return round2(t / float64(len(s)))
	default:
		return s[0]
	}
}
