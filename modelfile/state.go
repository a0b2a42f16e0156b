package modelfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
	"go.yaml.in/yaml/v3"
)

// docState is the work of reading one YAML document into one model.
type docState struct {
	// Reader reads values, reporting problems through errorf.
	yamlfile.Reader
	src    *yamlfile.Source
	root   *yaml.Node
	spec   *leadscore.ModelSpec
	diags  []Diagnostic
	errors int
	// pos maps engine paths ("categories[0].rules[2].when") to where the
	// value was written, for problems only the engine finds.
	pos map[string]loc
	// declared holds the custom fields under fields: ("lead.age").
	declared map[string]leadscore.FieldType
	// ruleNames maps each rule name to where it was first used; names are
	// unique across the whole model because explanations and tests refer
	// to rules by name alone.
	ruleNames map[string]*yaml.Node
}

func newDocState(src *yamlfile.Source, root *yaml.Node) *docState {
	d := &docState{
		src:       src,
		root:      root,
		spec:      &leadscore.ModelSpec{},
		pos:       map[string]loc{},
		declared:  map[string]leadscore.FieldType{},
		ruleNames: map[string]*yaml.Node{},
	}
	d.Reader = yamlfile.Reader{
		Fail: func(n *yaml.Node, p yamlfile.Path, msg string) { d.errorf(n, p, "%s", msg) },
		// Cut at bytes, as model file messages always have been.
		Describe:         yamlfile.DescribeBytes,
		DurationExamples: "30d, 2w or 12h",
	}
	return d
}

func (d *docState) report(sev Severity, line, col int, field, msg string) {
	if line <= 0 {
		line, col = d.root.Line, d.root.Column
	}
	d.diags = append(d.diags, Diagnostic{
		File: d.src.Name, Line: line, Column: col, Severity: sev,
		Model: d.spec.Name, Field: field, Message: msg,
	})
	if sev == Error {
		d.errors++
	}
}

func nodePos(n *yaml.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	return n.Line, n.Column
}

// errorf reports an error at node n; format carries its own context prefix.
func (d *docState) errorf(n *yaml.Node, p yamlfile.Path, format string, args ...any) {
	line, col := nodePos(n)
	d.report(Error, line, col, p.Y, fmt.Sprintf(format, args...))
}

func (d *docState) warnf(n *yaml.Node, p yamlfile.Path, format string, args ...any) {
	line, col := nodePos(n)
	d.report(Warning, line, col, p.Y, fmt.Sprintf(format, args...))
}

// record remembers where the value at p was written.
func (d *docState) record(n *yaml.Node, p yamlfile.Path) {
	n = yamlfile.Resolve(n)
	if n == nil {
		return
	}
	d.pos[p.S] = loc{line: n.Line, col: n.Column, field: p.Y, label: p.Label}
}

// lookup finds the closest recorded place for an engine path: the path
// itself, or failing that its nearest recorded ancestor.
func (d *docState) lookup(spath string) (loc, bool) {
	for p := spath; p != ""; p = yamlfile.ParentPath(p) {
		if l, ok := d.pos[p]; ok {
			return l, true
		}
	}
	return loc{}, false
}

// errorAt reports an error at the place recorded for an engine path.
func (d *docState) errorAt(spath, format string, args ...any) {
	l, ok := d.lookup(spath)
	if !ok {
		l = loc{line: d.root.Line, col: d.root.Column}
	}
	d.report(Error, l.line, l.col, l.field, fmt.Sprintf(format, args...))
}

// compileProblems turns the engine's problems into diagnostics at the
// places their paths were written. strip removes the "model: " prefix that
// set-level problems carry.
func (d *docState) compileProblems(err error, strip string) {
	var ps leadscore.Problems
	if !errors.As(err, &ps) {
		var e *leadscore.Error
		if errors.As(err, &e) {
			ps = leadscore.Problems{e}
		} else {
			ps = leadscore.Problems{{Code: leadscore.CodeInvalid, Message: err.Error()}}
		}
	}
	for _, p := range ps {
		field := strings.TrimPrefix(p.Field, strip)
		l, ok := d.lookup(field)
		if !ok {
			l = loc{line: d.root.Line, col: d.root.Column, field: field}
		}
		msg := p.Message
		if p.Err != nil {
			msg += ": " + p.Err.Error()
		}
		switch {
		case l.label != "":
			msg = l.label + ": " + msg
		case l.field != "":
			msg = l.field + ": " + msg
		case field != "":
			msg = field + ": " + msg
		}
		d.report(Error, l.line, l.col, l.field, msg)
	}
}
