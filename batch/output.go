package batch

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/scoring"
)

// outputFormat renders result rows. It is immutable; each worker has its
// own rowWriter.
type outputFormat struct {
	format  Format
	explain bool
	models  []modelColumns
}

type modelColumns struct {
	name       string
	categories []string // top-level category paths
}

func newOutputFormat(set *scoring.Set, format Format, explain bool) *outputFormat {
	o := &outputFormat{format: format, explain: explain}
	for _, m := range set.Models() {
		mc := modelColumns{name: m.Name()}
		for _, c := range m.Spec().Categories {
			mc.categories = append(mc.categories, c.Name)
		}
		o.models = append(o.models, mc)
	}
	return o
}

// Header returns the CSV header: lead_id, email, account_id, then for each
// model M: M.score, M.display, M.band, M.grade, M.qualified,
// M.disqualified, M.reasons, M.next_change_at, M.cat.<category> for each
// top-level category, and M.explain with explanations.
func (o *outputFormat) header() []string {
	h := []string{"lead_id", "email", "account_id"}
	for _, m := range o.models {
		for _, c := range []string{"score", "display", "band", "grade", "qualified", "disqualified", "reasons", "next_change_at"} {
			h = append(h, m.name+"."+c)
		}
		for _, c := range m.categories {
			h = append(h, m.name+".cat."+c)
		}
		if o.explain {
			h = append(h, m.name+".explain")
		}
	}
	return h
}

// rowWriter formats rows into a reusable buffer.
type rowWriter struct {
	o      *outputFormat
	buf    bytes.Buffer
	csv    *csv.Writer
	fields []string
}

func (o *outputFormat) newRowWriter() *rowWriter {
	w := &rowWriter{o: o}
	w.csv = csv.NewWriter(&w.buf)
	return w
}

// jsonModel is one model's result in a JSONL row: the evaluation (without
// the per-rule detail unless explanations were asked for) and, with
// explanations, the readable lines.
type jsonModel struct {
	*leadscore.Evaluation
	Explain []string `json:"explain,omitempty"`
}

type jsonRow struct {
	LeadID    string               `json:"lead_id"`
	Email     string               `json:"email,omitempty"`
	AccountID string               `json:"account_id,omitempty"`
	Models    map[string]jsonModel `json:"models"`
}

// row renders one lead's result and returns the bytes, valid until the
// next call.
func (w *rowWriter) row(lead *leadscore.Lead, evs []*leadscore.Evaluation) ([]byte, error) {
	w.buf.Reset()
	if w.o.format == JSONL {
		jr := jsonRow{LeadID: lead.ID, Email: lead.Email, AccountID: lead.AccountID, Models: make(map[string]jsonModel, len(evs))}
		for _, ev := range evs {
			jm := jsonModel{Evaluation: ev}
			if w.o.explain {
				jm.Explain = scoring.Explain(ev)
			} else {
				short := *ev
				short.Contributions, short.Adjustments, short.Notes = nil, nil, nil
				jm.Evaluation = &short
			}
			jr.Models[ev.Model] = jm
		}
		enc := json.NewEncoder(&w.buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&jr); err != nil {
			return nil, err
		}
		return w.buf.Bytes(), nil
	}
	f := append(w.fields[:0], lead.ID, lead.Email, lead.AccountID)
	byName := make(map[string]*leadscore.Evaluation, len(evs))
	for _, ev := range evs {
		byName[ev.Model] = ev
	}
	for _, m := range w.o.models {
		ev := byName[m.name]
		if ev == nil {
			ev = &leadscore.Evaluation{}
		}
		next := ""
		if !ev.NextChangeAt.IsZero() {
			next = ev.NextChangeAt.UTC().Format(time.RFC3339)
		}
		f = append(f, num(ev.Score), strconv.FormatInt(ev.Display, 10), ev.Band, ev.Grade,
			strconv.FormatBool(ev.Qualified), strconv.FormatBool(ev.Disqualified), strings.Join(ev.Reasons, "; "), next)
		for _, c := range m.categories {
			f = append(f, num(categoryPoints(ev, c)))
		}
		if w.o.explain {
			f = append(f, strings.Join(scoring.Explain(ev), " | "))
		}
	}
	w.fields = f
	if err := w.csv.Write(f); err != nil {
		return nil, err
	}
	w.csv.Flush()
	return w.buf.Bytes(), w.csv.Error()
}

func categoryPoints(ev *leadscore.Evaluation, path string) float64 {
	for _, c := range ev.Categories {
		if c.Path == path {
			return c.Points
		}
	}
	return 0
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// headerBytes renders the CSV header line (nil for JSONL).
func (o *outputFormat) headerBytes() ([]byte, error) {
	if o.format != CSV {
		return nil, nil
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(o.header()); err != nil {
		return nil, err
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
