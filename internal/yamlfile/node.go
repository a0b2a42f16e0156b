package yamlfile

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Resolve follows aliases. Documents are checked for alias cycles before
// any value is read (see CheckAliases), so this always ends.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n holds nothing: absent, empty or an explicit null.
func IsNull(n *yaml.Node) bool {
	n = Resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names what a node holds, for "expected X, got Y" messages. Long
// text is cut at 37 characters.
func Describe(n *yaml.Node) string { return describe(n, false) }

// DescribeBytes is Describe cutting long text at 37 bytes instead, which
// can split a character (strconv.Quote then shows it as \x escapes). Model
// file messages have always been cut that way; they keep it so that their
// output does not change.
func DescribeBytes(n *yaml.Node) string { return describe(n, true) }

func describe(n *yaml.Node, cutBytes bool) string {
	n = Resolve(n)
	switch {
	case IsNull(n):
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
	switch {
	case cutBytes && len(v) > 40:
		v = v[:37] + "..."
	case !cutBytes && utf8.RuneCountInString(v) > 40:
		v = string([]rune(v)[:37]) + "..."
	}
	return strconv.Quote(v)
}

// aliasBudget bounds how many nodes a document may expand to through
// aliases. A real file has a few thousand; the bound only stops documents
// crafted to expand exponentially ("billion laughs").
const aliasBudget = 100_000

// CheckAliases rejects documents whose aliases form a cycle or expand past
// aliasBudget, so that every later walk of the tree is finite and cheap.
func CheckAliases(root *yaml.Node) error {
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

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of YAML's parser (as opposed to its
// scanner). The YAML library prints their line 0-based, and for those with
// a context it prints the line where the enclosing mapping or list starts.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected <document start>", "did not find expected '-' indicator",
	"did not find expected key", "did not find expected node content",
	"did not find expected <stream-start>", "found undefined tag handle",
	"found incompatible YAML document", "found duplicate %YAML directive", "found duplicate %TAG directive",
}

// SyntaxError turns a decoding error into the 1-based line it is about
// (0 when unknown) and a message starting "YAML syntax: ".
func SyntaxError(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if slices.Contains(parserProblems, msg) {
		line++
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msg = strings.Join(te.Errors, "; ")
	}
	return line, "YAML syntax: " + msg
}
