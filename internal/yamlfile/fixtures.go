package yamlfile

import (
	"time"

	"github.com/leadscore/leadscore"
	"go.yaml.in/yaml/v3"
)

// The fixture files of model files and routing files describe leads and
// free-form values the same way; the readers for that are here.

// AnyValue decodes a free-form value the way JSON ingestion would deliver
// it (numbers as float64), so a fixture sees the same types as production.
func (r *Reader) AnyValue(n *yaml.Node, p Path) (any, bool) {
	var v any
	if err := Resolve(n).Decode(&v); err != nil {
		r.errorf(Resolve(n), p, "%s%v", p.Prefix(), err)
		return nil, false
	}
	return jsonLike(v), true
}

func jsonLike(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case []any:
		for i := range x {
			x[i] = jsonLike(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = jsonLike(x[k])
		}
		return x
	}
	return v
}

// FreeFields reads a mapping of custom fields into into.
func (r *Reader) FreeFields(n *yaml.Node, p Path, into map[string]any) {
	ps, _ := r.Pairs(n, p, "a mapping of custom fields")
	for _, e := range ps {
		if v, ok := r.AnyValue(e.Val, p.Key(e.Key.Value)); ok {
			into[e.Key.Value] = v
		}
	}
}

// Lead fills a lead from its JSON field names; other keys are custom
// fields, so `age: 34` and `fields: {age: 34}` mean the same. what is the
// "expected ..." text for a value that is not a mapping, and readTime
// reads created_at, since the formats accept different kinds of time.
func (r *Reader) Lead(n *yaml.Node, p Path, what string, l *leadscore.Lead, readTime func(*yaml.Node, Path) (time.Time, bool)) {
	ps, ok := r.Pairs(n, p, what)
	if !ok {
		return
	}
	set := map[string]*string{
		"id": &l.ID, "email": &l.Email, "first_name": &l.FirstName, "last_name": &l.LastName, "title": &l.Title,
		"phone": &l.Phone, "country": &l.Country, "state": &l.State, "city": &l.City, "source": &l.Source,
		"account_id": &l.AccountID,
	}
	l.Fields = map[string]any{}
	for _, e := range ps {
		k := e.Key.Value
		pk := p.Key(k)
		switch {
		case set[k] != nil:
			*set[k], _ = r.Str(e.Val, pk)
		case k == "created_at":
			l.CreatedAt, _ = readTime(e.Val, pk)
		case k == "fields":
			r.FreeFields(e.Val, pk, l.Fields)
		default:
			if v, ok := r.AnyValue(e.Val, pk); ok {
				l.Fields[k] = v
			}
		}
	}
}
