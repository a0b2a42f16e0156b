package modelfile

import (
	"fmt"
	"path"
	"strings"

	"github.com/leadscore/leadscore/internal/yamlfile"
	"go.yaml.in/yaml/v3"
)

// loc is a place in a source file together with the YAML path it belongs
// to, so that problems found after parsing can still point at the text.
type loc struct {
	line, col int
	field     string
	label     string
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// enum reads one of a fixed set of words.
func (d *docState) enum(n *yaml.Node, p yamlfile.Path, what string, allowed ...string) (string, bool) {
	s, ok := d.Str(n, p)
	if !ok {
		return "", false
	}
	if contains(allowed, s) {
		return s, true
	}
	msg := fmt.Sprintf("%sunknown %s %q (use %s)", p.Prefix(), what, s, yamlfile.OrList(allowed))
	if sg := yamlfile.Suggest(s, allowed); sg != "" {
		msg += fmt.Sprintf("; did you mean %q?", sg)
	}
	d.errorf(yamlfile.Resolve(n), p, "%s", msg)
	return "", false
}

// patterns reads one event type pattern or a list of them.
func (d *docState) patterns(n *yaml.Node, p yamlfile.Path) ([]string, bool) {
	n = yamlfile.Resolve(n)
	var items []*yaml.Node
	var paths []yamlfile.Path
	switch {
	case n != nil && n.Kind == yaml.ScalarNode && !yamlfile.IsNull(n):
		items, paths = []*yaml.Node{n}, []yamlfile.Path{p}
	case n != nil && n.Kind == yaml.SequenceNode && len(n.Content) > 0:
		for i, c := range n.Content {
			items = append(items, c)
			paths = append(paths, p.Index(i))
		}
	default:
		d.errorf(n, p, "%sexpected an event type such as page.viewed, or a list of them, got %s", p.Prefix(), yamlfile.DescribeBytes(n))
		return nil, false
	}
	var out []string
	ok := true
	for i, it := range items {
		s, good := d.Str(it, paths[i])
		if !good {
			ok = false
			continue
		}
		if _, err := path.Match(s, ""); err != nil || strings.TrimSpace(s) == "" || strings.TrimSpace(s) != s {
			d.errorf(yamlfile.Resolve(it), paths[i], "%sbad event type pattern %q", paths[i].Prefix(), s)
			ok = false
			continue
		}
		out = append(out, s)
	}
	return out, ok
}
