// Package examples ships the example models inside the binary, so that
// `leadscore demo` and `leadscore bench` work from any directory.
package examples

import "embed"

// Files holds every example model and its fixture tests.
//
//go:embed *.yaml
var Files embed.FS

// ModelFile and TestsFile name the B2B SaaS example.
const (
	ModelFile = "b2b-saas.yaml"
	TestsFile = "b2b-saas.tests.yaml"
)
