package automation

// Routing files report problems exactly as model files do (positions from
// yaml.v3 nodes, every problem at once, did-you-mean for unknown keys,
// pointers into the middle of expressions, modelfile.Diagnostic). The
// reader modelfile uses for that is internal to it, so the parts routing
// files need are here.

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
	"go.yaml.in/yaml/v3"
)

// at is where a value sits: y is the YAML path shown to users
// ("rules[2].assign"), label names the object owning it (`rule "x"`) and
// rel is the path from that owner, so messages read `rule "x": assign: ...`.
type at struct{ y, label, rel string }

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func (p at) key(k string) at {
	return at{y: joinPath(p.y, k), label: p.label, rel: joinPath(p.rel, k)}
}

func (p at) index(i int) at {
	ix := "[" + strconv.Itoa(i) + "]"
	return at{y: p.y + ix, label: p.label, rel: p.rel + ix}
}

func (p at) owner(label string) at { return at{y: p.y, label: label} }

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

type kv struct{ key, val *yaml.Node }

// doc collects the diagnostics of one file.
type doc struct {
	file   string
	data   []byte
	lines  [][]rune
	root   *yaml.Node
	diags  []modelfile.Diagnostic
	errors int
	// pos maps field paths ("rules[2].when") to where they were written,
	// for problems found after reading.
	pos map[string]*yaml.Node
}

func newDoc(file string, data []byte) *doc {
	return &doc{file: file, data: data, pos: map[string]*yaml.Node{}}
}

func (d *doc) report(sev modelfile.Severity, line, col int, field, msg string) {
	if line <= 0 && d.root != nil {
		line, col = d.root.Line, d.root.Column
	}
	d.diags = append(d.diags, modelfile.Diagnostic{File: d.file, Line: line, Column: col, Severity: sev, Field: field, Message: msg})
	if sev == modelfile.Error {
		d.errors++
	}
}

func (d *doc) errorf(n *yaml.Node, p at, format string, args ...any) {
	line, col := 0, 0
	if n = resolve(n); n != nil {
		line, col = n.Line, n.Column
	}
	d.report(modelfile.Error, line, col, p.y, fmt.Sprintf(format, args...))
}

func (d *doc) warnf(n *yaml.Node, p at, format string, args ...any) {
	line, col := 0, 0
	if n = resolve(n); n != nil {
		line, col = n.Line, n.Column
	}
	d.report(modelfile.Warning, line, col, p.y, fmt.Sprintf(format, args...))
}

func (d *doc) record(n *yaml.Node, p at) {
	if n = resolve(n); n != nil {
		d.pos[p.y] = n
	}
}

// errorAt reports a problem found after reading at the place recorded for
// its path, or the nearest recorded parent.
func (d *doc) errorAt(field, msg string) {
	for p := field; p != ""; p = parentPath(p) {
		if n := d.pos[p]; n != nil {
			d.report(modelfile.Error, n.Line, n.Column, field, field+": "+msg)
			return
		}
	}
	d.report(modelfile.Error, 0, 0, field, joinPath(field, "")+msg)
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func (d *doc) sorted() []modelfile.Diagnostic {
	slices.SortStableFunc(d.diags, func(a, b modelfile.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return d.diags
}

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
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:37]) + "..."
	}
	return strconv.Quote(v)
}

// aliasBudget bounds how far aliases may expand a document, which stops
// files crafted to expand exponentially.
const aliasBudget = 100_000

func checkAliases(root *yaml.Node) error {
	size := map[*yaml.Node]int{}
	state := map[*yaml.Node]int{}
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
		kids := n.Content
		if n.Kind == yaml.AliasNode {
			kids = []*yaml.Node{n.Alias}
		}
		for _, c := range kids {
			s, err := walk(c)
			if err != nil {
				return 0, err
			}
			if total += s; total > aliasBudget {
				return 0, fmt.Errorf("the document expands to more than %d values through aliases", aliasBudget)
			}
		}
		state[n], size[n] = 2, total
		return total, nil
	}
	_, err := walk(root)
	return err
}

// pairs returns a mapping's entries in order, with merge keys expanded and
// duplicates reported. Null is an empty mapping.
func (d *doc) pairs(n *yaml.Node, p at, what string) ([]kv, bool) {
	n = resolve(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, p, "%sexpected %s, got %s", p.prefix(), what, describe(n))
		return nil, false
	}
	var out, merged []kv
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if isMergeKey(k) {
			var sources []*yaml.Node
			switch mv := resolve(v); mv.Kind {
			case yaml.MappingNode:
				sources = []*yaml.Node{mv}
			case yaml.SequenceNode:
				sources = mv.Content
			default:
				d.errorf(mv, p, "%s<< merges a mapping or a list of mappings, got %s", p.prefix(), describe(mv))
			}
			for _, src := range sources {
				if resolve(src).Kind != yaml.MappingNode {
					d.errorf(src, p, "%s<< merges a mapping or a list of mappings, got %s", p.prefix(), describe(src))
					continue
				}
				ps, _ := d.pairs(src, p, "a mapping")
				merged = append(merged, ps...)
			}
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
	for _, e := range merged {
		if _, dup := seen[e.key.Value]; !dup {
			seen[e.key.Value] = e.key
			out = append(out, e)
		}
	}
	return out, true
}

// fields reads a mapping with a fixed set of keys; unknown keys get the
// closest known key as a suggestion, or hint's advice.
func (d *doc) fields(n *yaml.Node, p at, what string, known []string, hint func(string) string) (map[string]kv, bool) {
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
		if !slices.Contains(known, k) {
			msg := fmt.Sprintf("%sunknown field %q", p.prefix(), k)
			h := ""
			if hint != nil {
				h = hint(k)
			}
			if s := suggest(k, known); h == "" && s != "" {
				h = fmt.Sprintf("did you mean %q?", s)
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

func (d *doc) str(n *yaml.Node, p at) (string, bool) {
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

func (d *doc) name(n *yaml.Node, p at) (string, bool) {
	s, ok := d.str(n, p)
	if ok && strings.TrimSpace(s) == "" {
		d.errorf(n, p, "%scannot be blank", p.prefix())
		return "", false
	}
	return s, ok
}

func (d *doc) number(n *yaml.Node, p at) (float64, bool) {
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

func (d *doc) nonNegInt(n *yaml.Node, p at) (int, bool) {
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
	if i < 0 {
		d.errorf(n, p, "%scannot be negative (got %d)", p.prefix(), i)
		return 0, false
	}
	return int(i), true
}

func (d *doc) boolean(n *yaml.Node, p at) (bool, bool) {
	n = resolve(n)
	var b bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
		d.errorf(n, p, "%sexpected true or false, got %s", p.prefix(), describe(n))
		return false, false
	}
	return b, true
}

func (d *doc) duration(n *yaml.Node, p at) (leadscore.Duration, bool) {
	n = resolve(n)
	if isNull(n) || n.Kind != yaml.ScalarNode {
		d.errorf(n, p, "%sexpected a duration such as 4h or 30m, got %s", p.prefix(), describe(n))
		return 0, false
	}
	v, err := leadscore.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, p, "%s%v", p.prefix(), err)
		return 0, false
	}
	return v, true
}

func (d *doc) list(n *yaml.Node, p at, what string) ([]*yaml.Node, bool) {
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

// words reads one name or a list of names, with the node of each.
func (d *doc) words(n *yaml.Node, p at, what string) ([]string, []*yaml.Node) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && !isNull(n) {
		return []string{n.Value}, []*yaml.Node{n}
	}
	items, _ := d.list(n, p, what)
	var out []string
	var nodes []*yaml.Node
	for i, it := range items {
		if s, ok := d.name(it, p.index(i)); ok {
			out = append(out, s)
			nodes = append(nodes, resolve(it))
		}
	}
	return out, nodes
}

// ref reads a name that must be one of known, suggesting the closest.
func (d *doc) ref(n *yaml.Node, p at, what string, known []string) (string, bool) {
	s, ok := d.name(n, p)
	if !ok {
		return "", false
	}
	if !slices.Contains(known, s) {
		d.unknown(n, p, what, s, known)
		return s, false
	}
	return s, true
}

func (d *doc) unknown(n *yaml.Node, p at, what, s string, known []string) {
	msg := fmt.Sprintf("%sno %s named %q", p.prefix(), what, s)
	if sg := suggest(s, known); sg != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sg)
	} else if len(known) == 0 {
		msg += fmt.Sprintf(" (the file defines no %ss)", what)
	}
	d.errorf(n, p, "%s", msg)
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

// suggest returns the candidate closest to word when it is close enough to
// be a plausible typo, by optimal string alignment distance (a swap of two
// neighbouring letters is one edit). Ties go to the alphabetically first.
func suggest(word string, candidates []string) string {
	w := strings.ToLower(word)
	best, bestDist := "", 0
	for _, c := range candidates {
		dist := editDistance(w, strings.ToLower(c))
		if best == "" || dist < bestDist || (dist == bestDist && c < best) {
			best, bestDist = c, dist
		}
	}
	limit := 2
	if n := utf8.RuneCountInString(w); n <= 3 {
		limit = 1
	} else if n >= 9 {
		limit = 3
	}
	if best == "" || bestDist > limit || bestDist >= utf8.RuneCountInString(best) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2, prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are yaml.v3 parser messages whose line it prints 0-based.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected <document start>", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected node content",
	"did not find expected <stream-start>", "found undefined tag handle",
	"found incompatible YAML document", "found duplicate %YAML directive", "found duplicate %TAG directive",
}

func syntaxDiagnostic(file string, err error) modelfile.Diagnostic {
	dg := modelfile.Diagnostic{File: file, Severity: modelfile.Error, Message: strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		dg.Line, _ = strconv.Atoi(m[1])
		dg.Message = m[2]
	}
	if slices.Contains(parserProblems, dg.Message) {
		dg.Line++
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		dg.Message = strings.Join(te.Errors, "; ")
	}
	dg.Message = "YAML syntax: " + dg.Message
	return dg
}

// yamlBreaks normalises every line break YAML counts to LF, so that line
// numbers agree with the parser's.
var yamlBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u0085", "\n", "\u2028", "\n", "\u2029", "\n")

func (d *doc) line(i int) []rune {
	if d.lines == nil {
		text := strings.ToValidUTF8(string(d.data), "\uFFFD")
		for _, l := range strings.Split(yamlBreaks.Replace(text), "\n") {
			d.lines = append(d.lines, []rune(l))
		}
	}
	if i < 0 || i >= len(d.lines) {
		return nil
	}
	return d.lines[i]
}

// valueOffset turns expr's (1-based line, 0-based column) inside a value
// into a rune offset into it.
func valueOffset(value string, line, col int) int {
	off := 0
	for i, l := range strings.Split(value, "\n") {
		if i == line-1 {
			return off + col
		}
		off += utf8.RuneCountInString(l) + 1
	}
	return off
}

// scalarPos maps a rune offset inside a scalar's value to a 1-based line
// and column in the file, walking the file alongside the value: equal
// characters advance both, while escapes, doubled quotes, line breaks and
// indentation advance the file only.
func (d *doc) scalarPos(n *yaml.Node, offset int) (line, col int) {
	value := []rune(n.Value)
	offset = min(offset, len(value))
	li, ci := n.Line-1, n.Column-1
	dq := n.Style&yaml.DoubleQuotedStyle != 0
	sq := n.Style&yaml.SingleQuotedStyle != 0
	block := n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	indent := 0
	switch {
	case dq || sq:
		ci++
	case block:
		li++
		d.line(0)
		for k := li; k < len(d.lines); k++ {
			l := d.lines[k]
			if strings.TrimSpace(string(l)) == "" {
				continue
			}
			for indent < len(l) && (l[indent] == ' ' || l[indent] == '\t') {
				indent++
			}
			break
		}
		ci = min(indent, len(d.line(li)))
	}
	for k, steps := 0, 0; k < offset && steps < 1<<20; steps++ {
		l := d.line(li)
		if l == nil && li >= len(d.lines) {
			break
		}
		if ci >= len(l) {
			if value[k] == '\n' || value[k] == ' ' {
				k++
			}
			li++
			ci = 0
			nl := d.line(li)
			limit := len(nl)
			if block {
				limit = min(indent, len(nl))
			}
			for ci < limit && (nl[ci] == ' ' || nl[ci] == '\t') {
				ci++
			}
			continue
		}
		switch c := l[ci]; {
		case dq && c == '\\' && ci+1 == len(l):
			ci++
		case dq && c == '\\':
			ci += escapeLen(l[ci:])
			k++
		case sq && c == '\'' && ci+1 < len(l) && l[ci+1] == '\'':
			ci += 2
			k++
		case c == value[k]:
			ci++
			k++
		case c == ' ' || c == '\t':
			ci++
		default:
			ci++
			k++
		}
	}
	return li + 1, ci + 1
}

func escapeLen(l []rune) int {
	if len(l) < 2 {
		return 1
	}
	switch l[1] {
	case 'x':
		return min(4, len(l))
	case 'u':
		return min(6, len(l))
	case 'U':
		return min(10, len(l))
	}
	return 2
}
