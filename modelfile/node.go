package modelfile

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/leadscore/leadscore"
	"go.yaml.in/yaml/v3"
)

// loc is a place in a source file together with the YAML path it belongs
// to, so that problems found after parsing can still point at the text.
type loc struct {
	line, col int
	field     string
	label     string
}

// at describes where a value sits, in the two vocabularies this package
// speaks: y is the YAML path shown to users ("categories.fit.rules[0]"), s
// is the path scoring.Compile uses in its problems ("categories[0].rules[0]").
// label names the object that owns the value (`rule "x"`) and rel is the path
// from that owner to the value, so messages read `rule "x": within: ...`.
type at struct {
	y, s, label, rel string
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func (p at) key(k string) at {
	return at{y: joinPath(p.y, k), s: joinPath(p.s, k), label: p.label, rel: joinPath(p.rel, k)}
}

func (p at) index(i int) at {
	ix := "[" + strconv.Itoa(i) + "]"
	return at{y: p.y + ix, s: p.s + ix, label: p.label, rel: p.rel + ix}
}

// owner starts a new message context: values below it are described
// relative to label.
func (p at) owner(label string) at {
	return at{y: p.y, s: p.s, label: label}
}

// prefix is what a message about the value itself starts with.
func (p at) prefix() string {
	switch {
	case p.label != "" && p.rel != "":
		return p.label + ": " + p.rel + ": "
	case p.label != "":
		return p.label + ": "
	case p.rel != "":
		return p.rel + ": "
	}
	return ""
}

// kv is one entry of a YAML mapping.
type kv struct {
	key, val *yaml.Node
}

// resolve follows aliases. Documents are checked for alias cycles before
// any value is read (see checkAliases), so this always ends.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

// describe names what a node holds, for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return n.Value
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	return strconv.Quote(v)
}

// aliasBudget bounds how many nodes a document may expand to through
// aliases. A real model has a few thousand; the bound only stops documents
// crafted to expand exponentially ("billion laughs").
const aliasBudget = 100_000

// checkAliases rejects documents whose aliases form a cycle or expand past
// aliasBudget, so that every later walk of the tree is finite and cheap.
func checkAliases(root *yaml.Node) error {
	size := map[*yaml.Node]int{}
	state := map[*yaml.Node]int{} // 1 visiting, 2 done
	var walk func(n *yaml.Node) (int, error)
	walk = func(n *yaml.Node) (int, error) {
		if n == nil {
			return 0, nil
		}
		switch state[n] {
		case 1:
			return 0, fmt.Errorf("anchor %q contains an alias to itself", n.Anchor)
		case 2:
			return size[n], nil
		}
		state[n] = 1
		total := 1
		if n.Kind == yaml.AliasNode {
			s, err := walk(n.Alias)
			if err != nil {
				return 0, err
			}
			total += s
		}
		for _, c := range n.Content {
			s, err := walk(c)
			if err != nil {
				return 0, err
			}
			total += s
			if total > aliasBudget {
				return 0, fmt.Errorf("the document expands to more than %d values through aliases", aliasBudget)
			}
		}
		state[n] = 2
		size[n] = total
		return total, nil
	}
	_, err := walk(root)
	return err
}

// pairs returns the entries of a mapping in source order, with merge keys
// (<<: *anchor) expanded and duplicate keys reported. A null node is an
// empty mapping, so "decay:" with nothing under it is simply absent.
func (d *docState) pairs(n *yaml.Node, p at, what string) ([]kv, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, p, "%sexpected %s, got %s", p.prefix(), what, describe(n))
		return nil, false
	}
	var out []kv
	seen := map[string]*yaml.Node{}
	var merged []kv
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if isMergeKey(k) {
			merged = append(merged, d.mergePairs(v, p)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, p, "%skeys must be plain names, got %s", p.prefix(), describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.errorf(k, p, "%s%q is given twice (first at line %d)", p.prefix(), k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, kv{k, v})
	}
	// Keys written out explicitly win over merged ones, as in YAML 1.1.
	for _, e := range merged {
		if _, dup := seen[e.key.Value]; dup {
			continue
		}
		seen[e.key.Value] = e.key
		out = append(out, e)
	}
	return out, true
}

func (d *docState) mergePairs(v *yaml.Node, p at) []kv {
	v = resolve(v)
	var sources []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		sources = []*yaml.Node{v}
	case yaml.SequenceNode:
		sources = v.Content
	default:
		d.errorf(v, p, "%s<< merges a mapping or a list of mappings, got %s", p.prefix(), describe(v))
		return nil
	}
	var out []kv
	for _, s := range sources {
		s = resolve(s)
		if s.Kind != yaml.MappingNode {
			d.errorf(s, p, "%s<< merges a mapping or a list of mappings, got %s", p.prefix(), describe(s))
			continue
		}
		ps, _ := d.pairs(s, p, "a mapping")
		out = append(out, ps...)
	}
	return out
}

// fields reads a mapping with a fixed set of keys. Unknown keys are reported
// with the closest known key as a suggestion, or with hint when it has
// advice for that key.
func (d *docState) fields(n *yaml.Node, p at, what string, known []string, hint func(key string, val *yaml.Node) string) (map[string]kv, bool) {
	ps, ok := d.pairs(n, p, what)
	if !ok {
		return nil, false
	}
	out := make(map[string]kv, len(ps))
	for _, e := range ps {
		k := e.key.Value
		if strings.HasPrefix(k, "x-") {
			continue // extension keys, free for anchors and tooling
		}
		if !contains(known, k) {
			msg := fmt.Sprintf("%sunknown field %q", p.prefix(), k)
			h := ""
			if hint != nil {
				h = hint(k, e.val)
			}
			if h == "" {
				if s := suggest(k, known); s != "" {
					h = fmt.Sprintf("did you mean %q?", s)
				}
			}
			if h != "" {
				msg += " (" + h + ")"
			}
			d.errorf(e.key, p.key(k), "%s", msg)
			continue
		}
		out[k] = e
	}
	return out, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// str reads any scalar as text: a name written as 2024 is the text "2024",
// and a condition written as true is the expression "true".
func (d *docState) str(n *yaml.Node, p at) (string, bool) {
	n = resolve(n)
	if isNull(n) {
		d.errorf(n, p, "%sneeds a value", p.prefix())
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, p, "%sexpected text, got %s", p.prefix(), describe(n))
		return "", false
	}
	return n.Value, true
}

// name reads a required, non-blank name.
func (d *docState) name(n *yaml.Node, p at) (string, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errorf(resolve(n), p, "%scannot be blank", p.prefix())
		return "", false
	}
	return s, true
}

// number accepts only YAML numbers: a quoted "70" is text, and accepting it
// would hide a mistake such as "70 points".
func (d *docState) number(n *yaml.Node, p at) (float64, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") {
		d.errorf(n, p, "%sexpected a number, got %s", p.prefix(), describe(n))
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, p, "%s%s is not a usable number", p.prefix(), n.Value)
		return 0, false
	}
	return f, true
}

func (d *docState) integer(n *yaml.Node, p at) (int, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(n, p, "%sexpected a whole number, got %s", p.prefix(), describe(n))
		return 0, false
	}
	var i int64
	if err := n.Decode(&i); err != nil || i > math.MaxInt32 || i < math.MinInt32 {
		d.errorf(n, p, "%s%s is out of range", p.prefix(), n.Value)
		return 0, false
	}
	return int(i), true
}

func (d *docState) nonNegInt(n *yaml.Node, p at) (int, bool) {
	i, ok := d.integer(n, p)
	if ok && i < 0 {
		d.errorf(resolve(n), p, "%scannot be negative (got %d)", p.prefix(), i)
		return 0, false
	}
	return i, ok
}

func (d *docState) boolean(n *yaml.Node, p at) (bool, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.errorf(n, p, "%sexpected true or false, got %s", p.prefix(), describe(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.errorf(n, p, "%sexpected true or false, got %s", p.prefix(), describe(n))
		return false, false
	}
	return b, true
}

func (d *docState) duration(n *yaml.Node, p at) (leadscore.Duration, bool) {
	n = resolve(n)
	if isNull(n) || n.Kind != yaml.ScalarNode {
		d.errorf(n, p, "%sexpected a duration such as 30d, 2w or 12h, got %s", p.prefix(), describe(n))
		return 0, false
	}
	v, err := leadscore.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, p, "%s%v", p.prefix(), err)
		return 0, false
	}
	return v, true
}

// enum reads one of a fixed set of words.
func (d *docState) enum(n *yaml.Node, p at, what string, allowed ...string) (string, bool) {
	s, ok := d.str(n, p)
	if !ok {
		return "", false
	}
	if contains(allowed, s) {
		return s, true
	}
	msg := fmt.Sprintf("%sunknown %s %q (use %s)", p.prefix(), what, s, orList(allowed))
	if sg := suggest(s, allowed); sg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sg)
	}
	d.errorf(resolve(n), p, "%s", msg)
	return "", false
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// patterns reads one event type pattern or a list of them.
func (d *docState) patterns(n *yaml.Node, p at) ([]string, bool) {
	n = resolve(n)
	var items []*yaml.Node
	var paths []at
	switch {
	case n != nil && n.Kind == yaml.ScalarNode && !isNull(n):
		items, paths = []*yaml.Node{n}, []at{p}
	case n != nil && n.Kind == yaml.SequenceNode && len(n.Content) > 0:
		for i, c := range n.Content {
			items = append(items, c)
			paths = append(paths, p.index(i))
		}
	default:
		d.errorf(n, p, "%sexpected an event type such as page.viewed, or a list of them, got %s", p.prefix(), describe(n))
		return nil, false
	}
	var out []string
	ok := true
	for i, it := range items {
		s, good := d.str(it, paths[i])
		if !good {
			ok = false
			continue
		}
		if _, err := path.Match(s, ""); err != nil || strings.TrimSpace(s) == "" || strings.TrimSpace(s) != s {
			d.errorf(resolve(it), paths[i], "%sbad event type pattern %q", paths[i].prefix(), s)
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}

// list returns the items of a sequence (nil for null, so "rules:" with
// nothing under it is an empty list).
func (d *docState) list(n *yaml.Node, p at, what string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, p, "%sexpected %s, got %s", p.prefix(), what, describe(n))
		return nil, false
	}
	return n.Content, true
}
