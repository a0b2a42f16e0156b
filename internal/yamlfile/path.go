package yamlfile

import (
	"strconv"
	"strings"
)

// Path describes where a value sits. Y is the YAML path shown to users
// ("rules[2].assign"). S is a second path to the same value in whatever
// vocabulary the caller's later checks speak (modelfile: the paths
// scoring.Compile puts in its problems); callers without one ignore it.
// Label names the object that owns the value (`rule "x"`) and Rel is the
// path from that owner to the value, so messages read
// `rule "x": within: ...`.
type Path struct {
	Y, S, Label, Rel string
}

// JoinPath appends key b to path a.
func JoinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// ParentPath drops the last key or index from a path ("" at the top).
func ParentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// Key is the path of mapping key k below p.
func (p Path) Key(k string) Path {
	return Path{Y: JoinPath(p.Y, k), S: JoinPath(p.S, k), Label: p.Label, Rel: JoinPath(p.Rel, k)}
}

// Index is the path of list item i below p.
func (p Path) Index(i int) Path {
	ix := "[" + strconv.Itoa(i) + "]"
	return Path{Y: p.Y + ix, S: p.S + ix, Label: p.Label, Rel: p.Rel + ix}
}

// Owner starts a new message context: values below it are described
// relative to label.
func (p Path) Owner(label string) Path {
	return Path{Y: p.Y, S: p.S, Label: label}
}

// Prefix is what a message about the value itself starts with.
func (p Path) Prefix() string {
	switch {
	case p.Label != "" && p.Rel != "":
		return p.Label + ": " + p.Rel + ": "
	case p.Label != "":
		return p.Label + ": "
	case p.Rel != "":
		return p.Rel + ": "
	}
	return ""
}
