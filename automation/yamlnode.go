package automation

// Routing files report problems exactly as model files do (positions from
// yaml.v3 nodes, every problem at once, did-you-mean for unknown keys,
// pointers into the middle of expressions, modelfile.Diagnostic); the
// reading itself is shared with modelfile through internal/yamlfile, and
// what is here is how routing files collect their diagnostics.

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/modelfile"
	"go.yaml.in/yaml/v3"
)

// doc collects the diagnostics of one file.
type doc struct {
	// Reader reads values, reporting problems through errorf.
	yamlfile.Reader
	src    *yamlfile.Source
	root   *yaml.Node
	diags  []modelfile.Diagnostic
	errors int
	// pos maps field paths ("rules[2].when") to where they were written,
	// for problems found after reading.
	pos map[string]*yaml.Node
}

func newDoc(file string, data []byte) *doc {
	d := &doc{src: &yamlfile.Source{Name: file, Data: data}, pos: map[string]*yaml.Node{}}
	d.Reader = yamlfile.Reader{
		Fail:             func(n *yaml.Node, p yamlfile.Path, msg string) { d.errorf(n, p, "%s", msg) },
		DurationExamples: "4h or 30m",
	}
	return d
}

func (d *doc) report(sev modelfile.Severity, line, col int, field, msg string) {
	if line <= 0 && d.root != nil {
		line, col = d.root.Line, d.root.Column
	}
	d.diags = append(d.diags, modelfile.Diagnostic{File: d.src.Name, Line: line, Column: col, Severity: sev, Field: field, Message: msg})
	if sev == modelfile.Error {
		d.errors++
	}
}

func (d *doc) errorf(n *yaml.Node, p yamlfile.Path, format string, args ...any) {
	line, col := 0, 0
	if n = yamlfile.Resolve(n); n != nil {
		line, col = n.Line, n.Column
	}
	d.report(modelfile.Error, line, col, p.Y, fmt.Sprintf(format, args...))
}

func (d *doc) warnf(n *yaml.Node, p yamlfile.Path, format string, args ...any) {
	line, col := 0, 0
	if n = yamlfile.Resolve(n); n != nil {
		line, col = n.Line, n.Column
	}
	d.report(modelfile.Warning, line, col, p.Y, fmt.Sprintf(format, args...))
}

func (d *doc) record(n *yaml.Node, p yamlfile.Path) {
	if n = yamlfile.Resolve(n); n != nil {
		d.pos[p.Y] = n
	}
}

// errorAt reports a problem found after reading at the place recorded for
// its path, or the nearest recorded parent.
func (d *doc) errorAt(field, msg string) {
	for p := field; p != ""; p = yamlfile.ParentPath(p) {
		if n := d.pos[p]; n != nil {
			d.report(modelfile.Error, n.Line, n.Column, field, field+": "+msg)
			return
		}
	}
	d.report(modelfile.Error, 0, 0, field, yamlfile.JoinPath(field, "")+msg)
}

func (d *doc) sorted() []modelfile.Diagnostic {
	slices.SortStableFunc(d.diags, func(a, b modelfile.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return d.diags
}

// words reads one name or a list of names, with the node of each.
func (d *doc) words(n *yaml.Node, p yamlfile.Path, what string) ([]string, []*yaml.Node) {
	n = yamlfile.Resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode && !yamlfile.IsNull(n) {
		return []string{n.Value}, []*yaml.Node{n}
	}
	items, _ := d.List(n, p, what)
	var out []string
	var nodes []*yaml.Node
	for i, it := range items {
		if s, ok := d.Name(it, p.Index(i)); ok {
			out = append(out, s)
			nodes = append(nodes, yamlfile.Resolve(it))
		}
	}
	return out, nodes
}

// ref reads a name that must be one of known, suggesting the closest.
func (d *doc) ref(n *yaml.Node, p yamlfile.Path, what string, known []string) (string, bool) {
	s, ok := d.Name(n, p)
	if !ok {
		return "", false
	}
	if !slices.Contains(known, s) {
		d.unknown(n, p, what, s, known)
		return s, false
	}
	return s, true
}

func (d *doc) unknown(n *yaml.Node, p yamlfile.Path, what, s string, known []string) {
	msg := fmt.Sprintf("%sno %s named %q", p.Prefix(), what, s)
	if sg := yamlfile.Suggest(s, known); sg != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sg)
	} else if len(known) == 0 {
		msg += fmt.Sprintf(" (the file defines no %ss)", what)
	}
	d.errorf(n, p, "%s", msg)
}

func syntaxDiagnostic(file string, err error) modelfile.Diagnostic {
	line, msg := yamlfile.SyntaxError(err)
	return modelfile.Diagnostic{File: file, Line: line, Severity: modelfile.Error, Message: msg}
}
