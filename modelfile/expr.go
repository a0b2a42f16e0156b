package modelfile

import (
	"fmt"
	"strings"

	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// condition reads an expression, checks it against the variables its kind
// of condition may use, and reports problems at the exact place in the
// file: an error in the middle of a long condition points at the offending
// token, not at the start of the line.
func (d *docState) condition(n *yaml.Node, p yamlfile.Path, kind scoring.EnvKind) string {
	d.record(n, p)
	src, ok := d.Str(n, p)
	if !ok {
		return ""
	}
	n = yamlfile.Resolve(n)
	if strings.TrimSpace(src) == "" {
		d.errorf(n, p, "%sthe condition is empty", p.Prefix())
		return src
	}
	if err := scoring.CheckCondition(kind, src); err != nil {
		line, col := n.Line, n.Column
		if l, c, ok := scoring.ConditionErrorPosition(err); ok {
			line, col = d.src.ScalarPos(n, yamlfile.ValueOffset(src, l, c))
		}
		msg := scoring.ConditionErrorMessage(err)
		if kind == scoring.LeadEnv && strings.Contains(msg, "event") && strings.Contains(src, "event") {
			msg += " (event is only available in where, on rules with event)"
		}
		d.report(Error, line, col, p.Y, p.Prefix()+msg)
		return src
	}
	d.checkRefs(n, p, src)
	return src
}

// checkRefs warns about lead and account fields that are neither standard
// nor declared under fields:. Conditions compile against open maps, so a
// misspelt field is not an error to the engine: it is simply missing on
// every lead and the rule silently never matches. This is the only place
// such a typo can be caught.
func (d *docState) checkRefs(n *yaml.Node, p yamlfile.Path, src string) {
	refs, err := scoring.FieldRefs(src)
	if err != nil {
		return
	}
	warned := map[string]bool{}
	for _, ref := range refs {
		if ref.Object != "lead" && ref.Object != "account" {
			continue
		}
		full := ref.Object + "." + ref.Field
		if warned[full] || scoring.IsStandardField(ref.Object, ref.Field) {
			continue
		}
		if _, ok := d.declared[full]; ok {
			continue
		}
		warned[full] = true
		msg := fmt.Sprintf("%s%s: not a standard %s field and not declared under fields: — a typo?", p.Prefix(), full, ref.Object)
		if s := yamlfile.Suggest(ref.Field, d.knownFields(ref.Object)); s != "" {
			msg += fmt.Sprintf(" (did you mean %s.%s?)", ref.Object, s)
		}
		line, col := d.src.ScalarPos(n, refStart(src, ref))
		d.report(Warning, line, col, p.Y, msg)
	}
}

func (d *docState) knownFields(object string) []string {
	var names []string
	switch object {
	case "lead":
		names = scoring.LeadFields()
	case "account":
		names = scoring.AccountFields()
	}
	for k := range d.declared {
		if o, f, _ := strings.Cut(k, "."); o == object {
			names = append(names, f)
		}
	}
	return names
}

// refStart moves a reference's offset, which the expression parser puts at
// the member access, back to the start of "lead.x" when the text is there.
func refStart(src string, ref scoring.FieldRef) int {
	rs := []rune(src)
	obj := []rune(ref.Object)
	for _, dot := range []int{ref.Offset, ref.Offset - 1} {
		start := dot - len(obj)
		if start >= 0 && dot < len(rs) && rs[dot] == '.' && string(rs[start:dot]) == ref.Object {
			return start
		}
	}
	return ref.Offset
}
