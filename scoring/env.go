package scoring

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/quality"
)

// EnvKind names the variables a condition may use.
type EnvKind int

const (
	// LeadEnv conditions (fit rules, requirements, prefix rules) see lead,
	// account and now.
	LeadEnv EnvKind = iota
	// EventEnv conditions (a behaviour rule's where) also see event.
	EventEnv
)

// Standard fields every lead and account exposes to expressions. Custom
// fields are added to these maps by name; a custom field may not reuse a
// standard name.
var (
	leadFieldNames = []string{
		"id", "email", "first_name", "last_name", "name", "title", "phone", "country", "state", "city",
		"source", "created_at", "email_domain", "email_valid", "email_free", "email_disposable", "email_role",
	}
	accountFieldNames = []string{
		"id", "domain", "name", "industry", "country", "employees", "revenue", "priority", "lists",
		"active_people", "scores", "known",
	}
	eventFieldNames = []string{"type", "at", "source", "user_agent", "properties"}
)

// LeadFields, AccountFields and EventFields list the standard names, for
// validators and documentation. Event properties are free-form and reachable
// as event.<property> as well as event.properties["name"].
func LeadFields() []string    { return append([]string(nil), leadFieldNames...) }
func AccountFields() []string { return append([]string(nil), accountFieldNames...) }
func EventFields() []string   { return append([]string(nil), eventFieldNames...) }

func compileEnv(kind EnvKind) map[string]any {
	env := map[string]any{
		"lead":    map[string]any{},
		"account": map[string]any{},
		"now":     time.Time{},
	}
	if kind == EventEnv {
		env["event"] = map[string]any{}
	}
	return env
}

// compileCondition compiles a boolean condition once. Conditions are compiled
// against map environments because custom fields are only known per model;
// typos in field names are caught separately by FieldRefs.
func compileCondition(kind EnvKind, src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty condition")
	}
	prog, err := expr.Compile(src, expr.Env(compileEnv(kind)), expr.AsBool())
	if err != nil {
		return nil, err
	}
	return prog, nil
}

// CheckCondition reports whether src is a valid condition for kind, with
// expr's own message (which includes the column) when it is not.
func CheckCondition(kind EnvKind, src string) error {
	_, err := compileCondition(kind, src)
	return err
}

// ConditionErrorPosition returns the 1-based line and 0-based column inside
// the condition's source where a CheckCondition error points, when it does.
func ConditionErrorPosition(err error) (line, column int, ok bool) {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		return fe.Line, fe.Column, true
	}
	return 0, 0, false
}

// ConditionErrorMessage is the error's message without expr's source snippet,
// for callers that show their own pointer.
func ConditionErrorMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fe.Message
	}
	return firstLine(err.Error())
}

// FieldRef is a use of lead.X, account.X or event.X in a condition.
type FieldRef struct {
	Object string // lead, account or event
	Field  string
	// Offset is the 0-based rune offset of the reference in the source.
	Offset int
}

// FieldRefs lists the fields a condition reads, so a validator can warn about
// names that are neither standard nor declared.
func FieldRefs(src string) ([]FieldRef, error) {
	tree, err := parseTree(src)
	if err != nil {
		return nil, err
	}
	v := &refVisitor{}
	ast.Walk(&tree, v)
	sort.SliceStable(v.refs, func(i, j int) bool { return v.refs[i].Offset < v.refs[j].Offset })
	return v.refs, nil
}

func parseTree(src string) (ast.Node, error) {
	prog, err := expr.Compile(src, expr.Env(compileEnv(EventEnv)))
	if err != nil {
		return nil, err
	}
	return prog.Node(), nil
}

type refVisitor struct{ refs []FieldRef }

func (v *refVisitor) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch id.Value {
	case "lead", "account", "event":
	default:
		return
	}
	name, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	v.refs = append(v.refs, FieldRef{Object: id.Value, Field: name.Value, Offset: m.Location().From})
}

// IsStandardField reports whether field is built in for object.
func IsStandardField(object, field string) bool {
	var names []string
	switch object {
	case "lead":
		names = leadFieldNames
	case "account":
		names = accountFieldNames
	case "event":
		return true // event properties are free-form
	}
	for _, n := range names {
		if n == field {
			return true
		}
	}
	return false
}

// facts builds the expression environment of one lead. It is built once per
// evaluation and shared by every condition of every model in a set.
type facts struct {
	lead    map[string]any
	account map[string]any
	env     map[string]any
}

func newFacts(in *Input, asOf time.Time, checker *quality.Checker, activePeople int) *facts {
	f := &facts{lead: map[string]any{}, account: map[string]any{}}
	if l := in.Lead; l != nil {
		for k, v := range l.Fields {
			f.lead[k] = v
		}
		f.lead["id"] = l.ID
		f.lead["email"] = l.Email
		f.lead["first_name"] = l.FirstName
		f.lead["last_name"] = l.LastName
		f.lead["name"] = strings.TrimSpace(l.FirstName + " " + l.LastName)
		f.lead["title"] = l.Title
		f.lead["phone"] = l.Phone
		f.lead["country"] = l.Country
		f.lead["state"] = l.State
		f.lead["city"] = l.City
		f.lead["source"] = l.Source
		if !l.CreatedAt.IsZero() {
			f.lead["created_at"] = l.CreatedAt
		} else {
			delete(f.lead, "created_at")
		}
		ef := quality.EmailFacts{}
		if checker != nil {
			ef = checker.Email(l.Email)
		}
		f.lead["email_domain"] = ef.Domain
		f.lead["email_valid"] = ef.Valid
		f.lead["email_free"] = ef.Free
		f.lead["email_disposable"] = ef.Disposable
		f.lead["email_role"] = ef.Role
	}
	if a := in.Account; a != nil {
		for k, v := range a.Fields {
			f.account[k] = v
		}
		f.account["id"] = a.ID
		f.account["domain"] = a.Domain
		f.account["name"] = a.Name
		f.account["industry"] = a.Industry
		f.account["country"] = a.Country
		if a.Employees != nil {
			f.account["employees"] = *a.Employees
		} else {
			delete(f.account, "employees")
		}
		if a.Revenue != nil {
			f.account["revenue"] = *a.Revenue
		} else {
			delete(f.account, "revenue")
		}
		f.account["priority"] = a.Priority
		lists := a.Lists
		if lists == nil {
			lists = []string{}
		}
		f.account["lists"] = lists
		f.account["known"] = true
	} else {
		f.account["known"] = false
		f.account["priority"] = false
		f.account["lists"] = []string{}
	}
	f.account["active_people"] = activePeople
	f.setAccountScores(in.AccountScores)
	f.env = map[string]any{"lead": f.lead, "account": f.account, "now": asOf}
	return f
}

func (f *facts) setAccountScores(in map[string]float64) {
	scores := make(map[string]any, len(in))
	for k, v := range in {
		scores[k] = v
	}
	f.account["scores"] = scores
}

// fillEventVars makes vars the event's variables: its properties flattened,
// with the standard names on top.
func (f *facts) fillEventVars(vars map[string]any, e *leadscore.Event) {
	clear(vars)
	for k, v := range e.Properties {
		vars[k] = v
	}
	vars["type"] = e.Type
	vars["at"] = e.At
	vars["source"] = e.Source
	vars["user_agent"] = e.UserAgent
	props := e.Properties
	if props == nil {
		props = map[string]any{}
	}
	vars["properties"] = props
}

// runCondition evaluates a compiled condition. A runtime error (a missing
// field compared with a number, say) counts as "does not hold" and is
// returned so the caller can record a note: never a crash, never a silent
// match.
func runCondition(prog *vm.Program, env map[string]any) (bool, error) {
	out, err := expr.Run(prog, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %T, not a boolean", out)
	}
	return b, nil
}

type uses struct{ now, activePeople, eventStd bool }

type usesVisitor struct {
	u uses
	// eventIdents and eventMembers count uses of `event` and of
	// `event.<property>`; more identifiers than members means the event is
	// used as a whole.
	eventIdents, eventMembers int
}

func (v *usesVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "now":
			v.u.now = true
		case "event":
			v.eventIdents++
		}
	case *ast.MemberNode:
		id, ok := n.Node.(*ast.IdentifierNode)
		if !ok {
			return
		}
		prop, isName := n.Property.(*ast.StringNode)
		switch {
		case id.Value == "account" && isName && prop.Value == "active_people":
			v.u.activePeople = true
		case id.Value == "event":
			v.eventMembers++
			if !isName || slices.Contains(eventFieldNames, prop.Value) {
				v.u.eventStd = true
			}
		}
	}
}

// conditionUses tells which facts a compiled condition reads that change how
// it must be evaluated.
func conditionUses(p *vm.Program) uses {
	v := &usesVisitor{}
	node := p.Node()
	ast.Walk(&node, v)
	if v.eventIdents > v.eventMembers {
		v.u.eventStd = true
	}
	return v.u
}
