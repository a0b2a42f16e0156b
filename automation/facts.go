package automation

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/leadscore/leadscore/quality"
)

// Routing conditions see what model conditions see (lead.*, account.*,
// now, with the same standard and custom field names, see scoring) plus
// the facts of the evaluation that triggered routing.
var routingVars = []string{"lead", "account", "score", "band", "model", "qualified", "now"}

func routingCompileEnv() map[string]any {
	return map[string]any{
		"lead": map[string]any{}, "account": map[string]any{},
		"score": 0.0, "band": "", "model": "", "qualified": false, "now": time.Time{},
	}
}

// compileRoutingCondition compiles a rule's when.
func compileRoutingCondition(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty condition")
	}
	return expr.Compile(src, expr.Env(routingCompileEnv()), expr.AsBool())
}

// fieldRef is a use of lead.X or account.X, at a rune offset of the source.
type fieldRef struct {
	object, field string
	offset        int
}

type refVisitor struct{ refs []fieldRef }

func (v *refVisitor) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok || (id.Value != "lead" && id.Value != "account") {
		return
	}
	if name, ok := m.Property.(*ast.StringNode); ok {
		v.refs = append(v.refs, fieldRef{object: id.Value, field: name.Value, offset: m.Location().From})
	}
}

// conditionRefs lists the lead and account fields a compiled condition
// reads, for typo warnings. scoring.FieldRefs cannot serve here: it
// compiles against the model environment, which has no score or band.
func conditionRefs(p *vm.Program) []fieldRef {
	v := &refVisitor{}
	node := p.Node()
	ast.Walk(&node, v)
	return v.refs
}

// env builds the variables of one routing decision with the same names and
// types the engine gives model conditions.
func (r *Router) env(in *Input) map[string]any {
	lead := map[string]any{}
	if l := in.Lead; l != nil {
		for k, v := range l.Fields {
			lead[k] = v
		}
		lead["id"] = l.ID
		lead["email"] = l.Email
		lead["first_name"] = l.FirstName
		lead["last_name"] = l.LastName
		lead["name"] = strings.TrimSpace(l.FirstName + " " + l.LastName)
		lead["title"] = l.Title
		lead["phone"] = l.Phone
		lead["country"] = l.Country
		lead["state"] = l.State
		lead["city"] = l.City
		lead["source"] = l.Source
		if !l.CreatedAt.IsZero() {
			lead["created_at"] = l.CreatedAt
		} else {
			delete(lead, "created_at")
		}
		var ef quality.EmailFacts
		if r.usesEmail {
			ef = r.quality().Email(l.Email)
		}
		lead["email_domain"] = ef.Domain
		lead["email_valid"] = ef.Valid
		lead["email_free"] = ef.Free
		lead["email_disposable"] = ef.Disposable
		lead["email_role"] = ef.Role
	}
	account := map[string]any{}
	if a := in.Account; a != nil {
		for k, v := range a.Fields {
			account[k] = v
		}
		account["id"] = a.ID
		account["domain"] = a.Domain
		account["name"] = a.Name
		account["industry"] = a.Industry
		account["country"] = a.Country
		delete(account, "employees")
		delete(account, "revenue")
		if a.Employees != nil {
			account["employees"] = *a.Employees
		}
		if a.Revenue != nil {
			account["revenue"] = *a.Revenue
		}
		account["priority"] = a.Priority
		lists := a.Lists
		if lists == nil {
			lists = []string{}
		}
		account["lists"] = lists
		account["known"] = true
	} else {
		account["known"] = false
		account["priority"] = false
		account["lists"] = []string{}
	}
	account["active_people"] = in.ActivePeople
	scores := make(map[string]any, len(in.AccountScores))
	for k, v := range in.AccountScores {
		scores[k] = v
	}
	account["scores"] = scores
	return map[string]any{
		"lead": lead, "account": account, "score": in.Score, "band": in.Band,
		"model": in.Model, "qualified": in.Qualified, "now": in.Now,
	}
}

// usesEmailFacts reports whether a condition reads a lead field that needs
// the email checker, whose lists take milliseconds to load.
func usesEmailFacts(p *vm.Program) bool {
	for _, ref := range conditionRefs(p) {
		if ref.object == "lead" && strings.HasPrefix(ref.field, "email_") {
			return true
		}
	}
	return false
}

func runRoutingCondition(p *vm.Program, env map[string]any) (bool, error) {
	out, err := expr.Run(p, env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition returned %T, not a boolean", out)
	}
	return b, nil
}
