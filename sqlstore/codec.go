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

	"github.com/klauspost/compress/s2"
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

// evaluationCodec stores evaluations as compressed JSON. An explanation
// lists rules, categories and event references whose names repeat, so it
// shrinks several times over, and scores are rewritten at every change of
// a busy lead. Rows are written in S2 (a Snappy-like block format): its
// output for a typical explanation is about a third larger than DEFLATE's,
// but it is about eight times faster, and encoding sits on the committer's
// path. Rows written before S2 hold DEFLATE and still read. The codec
// decodes, reusing its buffers across the rows of a query, and is not safe
// for concurrent use; encoding keeps no state (encodeEvaluation).
type evaluationCodec struct {
	buf bytes.Buffer
	dec []byte
	r   io.ReadCloser
}

// s2Header starts every S2 row. Its first byte tells an S2 row from a
// DEFLATE one: a DEFLATE stream's first byte holds its first block's type
// in bits 1-2, and 0xFF would make that type 3, which DEFLATE reserves as
// invalid. The second byte numbers the format, should another follow.
var s2Header = [2]byte{0xFF, 0x01}

// encodeEvaluation returns the stored form of e; nil (NULL) for no
// evaluation.
func encodeEvaluation(e *leadscore.Evaluation) ([]byte, error) {
	if e == nil {
		return nil, nil
	}
	js, err := json.Marshal(e)
	if err != nil {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "cannot store the evaluation as JSON: %v", err)
	}
	out := make([]byte, len(s2Header)+s2.MaxEncodedLen(len(js)))
	copy(out, s2Header[:])
	// Encode writes into out when it is large enough, as it is here.
	n := len(s2.Encode(out[len(s2Header):], js))
	return out[: len(s2Header)+n : len(s2Header)+n], nil
}

// decode reads a stored evaluation: compressed when z is set (S2, or
// DEFLATE in older rows), else the JSON text of rows written before
// compression. Neither set means none.
func (c *evaluationCodec) decode(z, js []byte) (*leadscore.Evaluation, error) {
	if len(z) == 0 && len(js) == 0 {
		return nil, nil
	}
	e := new(leadscore.Evaluation)
	if len(z) == 0 {
		return e, decodeJSON(js, e)
	}
	if len(z) >= len(s2Header) && z[0] == s2Header[0] {
		if z[1] != s2Header[1] {
			return nil, fmt.Errorf("sqlstore: stored evaluation has an unknown format %d", z[1])
		}
		var err error
		if c.dec, err = s2.Decode(c.dec[:cap(c.dec)], z[len(s2Header):]); err != nil {
			return nil, fmt.Errorf("sqlstore: stored evaluation is unreadable: %w", err)
		}
		return e, decodeJSON(c.dec, e)
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
