package yamlfile

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/leadscore/leadscore"
	"go.yaml.in/yaml/v3"
)

// Entry is one entry of a YAML mapping.
type Entry struct {
	Key, Val *yaml.Node
}

// Reader reads typed values out of YAML nodes. It never stops at a
// problem: each one goes to Fail, the value reads as its zero value with
// ok false, and the caller carries on so that a file's problems are all
// reported at once.
type Reader struct {
	// Fail reports a problem with the value at p, written at n (already
	// resolved; nil when there is no node). msg carries its own context
	// prefix. It is a function because each file format collects its
	// diagnostics its own way.
	Fail func(n *yaml.Node, p Path, msg string)
	// Describe names a value in "expected X, got Y" messages; nil means
	// the package's Describe.
	Describe func(n *yaml.Node) string
	// DurationExamples completes "expected a duration such as ...", with
	// values typical of the format ("4h or 30m").
	DurationExamples string
}

func (r *Reader) errorf(n *yaml.Node, p Path, format string, args ...any) {
	r.Fail(n, p, fmt.Sprintf(format, args...))
}

func (r *Reader) describe(n *yaml.Node) string {
	if r.Describe != nil {
		return r.Describe(n)
	}
	return Describe(n)
}

// Pairs returns the entries of a mapping in source order, with merge keys
// (<<: *anchor) expanded and duplicate keys reported. A null node is an
// empty mapping, so "decay:" with nothing under it is simply absent.
func (r *Reader) Pairs(n *yaml.Node, p Path, what string) ([]Entry, bool) {
	n = Resolve(n)
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		r.errorf(n, p, "%sexpected %s, got %s", p.Prefix(), what, r.describe(n))
		return nil, false
	}
	var out, merged []Entry
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := Resolve(n.Content[i]), n.Content[i+1]
		if isMergeKey(k) {
			merged = append(merged, r.mergePairs(v, p)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			r.errorf(k, p, "%skeys must be plain names, got %s", p.Prefix(), r.describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			r.errorf(k, p, "%s%q is given twice (first at line %d)", p.Prefix(), k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, Entry{k, v})
	}
	// Keys written out explicitly win over merged ones, as in YAML 1.1.
	for _, e := range merged {
		if _, dup := seen[e.Key.Value]; dup {
			continue
		}
		seen[e.Key.Value] = e.Key
		out = append(out, e)
	}
	return out, true
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

func (r *Reader) mergePairs(v *yaml.Node, p Path) []Entry {
	v = Resolve(v)
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		r.errorf(v, p, "%s<< merges a mapping or a list of mappings, got %s", p.Prefix(), r.describe(v))
		return nil
	}
	var out []Entry
	for _, s := range sources {
		s = Resolve(s)
		if s.Kind != yaml.MappingNode {
			r.errorf(s, p, "%s<< merges a mapping or a list of mappings, got %s", p.Prefix(), r.describe(s))
			continue
		}
		ps, _ := r.Pairs(s, p, "a mapping")
		out = append(out, ps...)
	}
	return out
}

// Fields reads a mapping with a fixed set of keys. Unknown keys are
// reported with the closest known key as a suggestion, or with hint's
// advice when it has some for that key (hint may be nil). Keys starting
// "x-" are extension keys, free for anchors and tooling, and skipped.
func (r *Reader) Fields(n *yaml.Node, p Path, what string, known []string, hint func(key string, val *yaml.Node) string) (map[string]Entry, bool) {
	ps, ok := r.Pairs(n, p, what)
	if !ok {
		return nil, false
	}
	out := make(map[string]Entry, len(ps))
	for _, e := range ps {
		k := e.Key.Value
		if strings.HasPrefix(k, "x-") {
			continue
		}
		if !slices.Contains(known, k) {
			msg := fmt.Sprintf("%sunknown field %q", p.Prefix(), k)
			h := ""
			if hint != nil {
				h = hint(k, e.Val)
			}
			if h == "" {
				if s := Suggest(k, known); s != "" {
					h = fmt.Sprintf("did you mean %q?", s)
				}
			}
			if h != "" {
				msg += " (" + h + ")"
			}
			r.errorf(e.Key, p.Key(k), "%s", msg)
			continue
		}
		out[k] = e
	}
	return out, true
}

// Str reads any scalar as text: a name written as 2024 is the text "2024",
// and a condition written as true is the expression "true".
func (r *Reader) Str(n *yaml.Node, p Path) (string, bool) {
	n = Resolve(n)
	if IsNull(n) {
		r.errorf(n, p, "%sneeds a value", p.Prefix())
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		r.errorf(n, p, "%sexpected text, got %s", p.Prefix(), r.describe(n))
		return "", false
	}
	return n.Value, true
}

// Name reads a required, non-blank name.
func (r *Reader) Name(n *yaml.Node, p Path) (string, bool) {
	s, ok := r.Str(n, p)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		r.errorf(Resolve(n), p, "%scannot be blank", p.Prefix())
		return "", false
	}
	return s, true
}

// Number accepts only YAML numbers: a quoted "70" is text, and accepting it
// would hide a mistake such as "70 points".
func (r *Reader) Number(n *yaml.Node, p Path) (float64, bool) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		r.errorf(n, p, "%sexpected a number, got %s", p.Prefix(), r.describe(n))
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		r.errorf(n, p, "%s%s is not a usable number", p.Prefix(), n.Value)
		return 0, false
	}
	return f, true
}

// Integer reads a whole number in the int32 range.
func (r *Reader) Integer(n *yaml.Node, p Path) (int, bool) {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		r.errorf(n, p, "%sexpected a whole number, got %s", p.Prefix(), r.describe(n))
		return 0, false
	}
	var i int64
	if err := n.Decode(&i); err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		r.errorf(n, p, "%s%s is out of range", p.Prefix(), n.Value)
		return 0, false
	}
	return int(i), true
}

// NonNegInt reads a whole number that is zero or more.
func (r *Reader) NonNegInt(n *yaml.Node, p Path) (int, bool) {
	i, ok := r.Integer(n, p)
	if ok && i < 0 {
		r.errorf(Resolve(n), p, "%scannot be negative (got %d)", p.Prefix(), i)
		return 0, false
	}
	return i, ok
}

// Boolean reads true or false, and nothing YAML 1.1 would have taken for one.
func (r *Reader) Boolean(n *yaml.Node, p Path) (bool, bool) {
	n = Resolve(n)
	var b bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		r.errorf(n, p, "%sexpected true or false, got %s", p.Prefix(), r.describe(n))
		return false, false
	}
	return b, true
}

// Duration reads a leadscore duration such as 30d or 4h.
func (r *Reader) Duration(n *yaml.Node, p Path) (leadscore.Duration, bool) {
	n = Resolve(n)
	if IsNull(n) || n.Kind != yaml.ScalarNode {
		r.errorf(n, p, "%sexpected a duration such as %s, got %s", p.Prefix(), r.DurationExamples, r.describe(n))
		return 0, false
	}
	v, err := leadscore.ParseDuration(n.Value)
	if err != nil {
		r.errorf(n, p, "%s%v", p.Prefix(), err)
		return 0, false
	}
	return v, true
}

// List returns the items of a sequence (nil for null, so "rules:" with
// nothing under it is an empty list).
func (r *Reader) List(n *yaml.Node, p Path, what string) ([]*yaml.Node, bool) {
	n = Resolve(n)
	if IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		r.errorf(n, p, "%sexpected %s, got %s", p.Prefix(), what, r.describe(n))
		return nil, false
	}
	return n.Content, true
}
