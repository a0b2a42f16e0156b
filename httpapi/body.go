package httpapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/leadscore/leadscore"
)

// readBody reads the whole request body, decompressing gzip. The limit
// applies twice: to the bytes on the wire and to the decompressed stream,
// so that a small gzip bomb cannot expand past it.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.cfg.Limits.MaxRequestBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var src io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			if isMaxBytes(err) {
				return nil, tooLarge(limit)
			}
			return nil, invalid("the body is not valid gzip")
		}
		defer zr.Close()
		src = zr
	default:
		return nil, newError(http.StatusUnsupportedMediaType, leadscore.CodeInvalid,
			"unsupported Content-Encoding "+enc+"; use gzip or none")
	}
	body, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		if isMaxBytes(err) {
			return nil, tooLarge(limit)
		}
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, invalid("the body is not valid gzip or was cut short")
		}
		return nil, invalid("the body could not be read: " + err.Error())
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// decodeStrict decodes one JSON value and rejects unknown fields, so that a
// misspelt field ("emial") is an error instead of silently dropped data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return invalid("the body holds more than one JSON value")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return invalid("the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem turns a decoding error into a field error.
func jsonProblem(err error) *apiError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		return invalid("the body does not match the expected shape",
			fieldItem(field, "must not be a JSON "+te.Value))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return invalid("the body is not valid JSON")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return invalid("the body has an unknown field", fieldItem(strings.Trim(f, `"`), "unknown field"))
	}
	return invalid("the body cannot be read: " + strings.TrimPrefix(msg, "json: "))
}

// splitBatch reads a body that is either one object or {"<key>": [...]}.
// It reports whether the body was the batch form.
func splitBatch(body []byte, key string) ([]json.RawMessage, bool, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		if json.Valid(trimmed) {
			return nil, false, invalid("the body must be a JSON object")
		}
		return nil, false, invalid("the body is not valid JSON")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &top); err != nil {
		return nil, false, jsonProblem(err)
	}
	raw, ok := top[key]
	if !ok {
		return []json.RawMessage{trimmed}, false, nil
	}
	if len(top) != 1 {
		return nil, false, invalid(`a batch body has only the "` + key + `" field`)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, false, invalid(key+" must be an array", fieldItem(key, "must be an array"))
	}
	return items, true, nil
}
