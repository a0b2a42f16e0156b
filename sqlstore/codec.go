package sqlstore

import (
	"bytes"
	"compress/flate"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadscore/leadscore"
)

// Times are stored as unix microseconds UTC: exact, indexable, and the same
// number in both dialects. Anything finer than a microsecond is dropped.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// truncMicros is t as it will read back from the store.
func truncMicros(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return fromMicros(micros(t))
}

// nullMicros maps the zero time, which the domain uses for "none", to NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(t), Valid: true}
}

func timeOf(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

func timePtrOf(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullMicrosPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return nullMicros(*t)
}

// jsonText is a JSON document bound as a query argument. It is a distinct
// type so that the text check knows a NUL arrives escaped as \u0000.
type jsonText struct {
	s     string
	valid bool
}

// encodeJSON marshals v, mapping nil and empty maps to NULL so that "no
// fields" has one representation.
func encodeJSON(v any) (jsonText, error) {
	switch x := v.(type) {
	case nil:
		return jsonText{}, nil
	case map[string]any:
		if len(x) == 0 {
			return jsonText{}, nil
		}
	case []string:
		if len(x) == 0 {
			return jsonText{}, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return jsonText{}, leadscore.Errorf(leadscore.CodeInvalid, "cannot store as JSON: %v", err)
	}
	if string(b) == "null" {
		return jsonText{}, nil
	}
	return jsonText{s: string(b), valid: true}, nil
}

func decodeJSON(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("sqlstore: stored JSON is unreadable: %w", err)
	}
	return nil
}

func decodeFields(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]any
	err := decodeJSON(b, &m)
	return m, err
}

// textProblem says why s cannot be stored, or "". PostgreSQL refuses NUL
// bytes and invalid UTF-8 in text (and \u0000 in JSONB) and, worse, aborts
// the whole transaction when it does; SQLite would accept them. Refusing
// them up front in both dialects keeps the behaviour identical and leaves
// the transaction usable.
func textProblem(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		return "contains a NUL character"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	return ""
}

// jsonProblem finds an escaped NUL (\u0000) in encoded JSON. A backslash
// before it may itself be escaped, so the run of backslashes must be odd.
func jsonProblem(s string) string {
	b := []byte(s)
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			return ""
		}
		at := i + j
		n := 0
		for k := at - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return "contains a NUL character"
		}
		i = at + 5
	}
}

// evaluationCodec stores evaluations as DEFLATE-compressed JSON. An
// explanation lists rules, categories and event references whose names
// repeat, so it shrinks several times over, and scores are rewritten at
// every change of a busy lead. A codec reuses its compressor across the
// rows of one statement; it is not safe for concurrent use.
type evaluationCodec struct {
	w   *flate.Writer
	buf bytes.Buffer
	r   io.ReadCloser
}

// encode returns the stored form of e; nil (NULL) for no evaluation.
func (c *evaluationCodec) encode(e *leadscore.Evaluation) ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	js, err := json.Marshal(e)
	if err != nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "cannot store the evaluation as JSON: %v", err)
	}
	c.buf.Reset()
	if c.w == nil {
		// BestSpeed: most of the size gain for a fraction of the time of
		// the default level.
		if c.w, err = flate.NewWriter(&c.buf, flate.BestSpeed); err != nil {
			return nil, err
		}
	} else {
		c.w.Reset(&c.buf)
	}
	if _, err := c.w.Write(js); err != nil {
		return nil, err
	}
	if err := c.w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(c.buf.Bytes()), nil
}

// decode reads a stored evaluation: compressed when z is set, else the
// JSON text of rows written before compression. Neither set means none.
func (c *evaluationCodec) decode(z, js []byte) (*leadscore.Evaluation, error) {
	if len(z) == 0 && len(js) == 0 {
		return nil, nil
	}
	e := new(leadscore.Evaluation)
	if len(z) == 0 {
		return e, decodeJSON(js, e)
	}
	if c.r == nil {
		c.r = flate.NewReader(bytes.NewReader(z))
	} else if err := c.r.(flate.Resetter).Reset(bytes.NewReader(z), nil); err != nil {
		return nil, err
	}
	c.buf.Reset()
	if _, err := c.buf.ReadFrom(c.r); err != nil {
		return nil, fmt.Errorf("sqlstore: stored evaluation is unreadable: %w", err)
	}
	return e, decodeJSON(c.buf.Bytes(), e)
}
