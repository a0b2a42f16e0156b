package modelfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/internal/yamlfile"
	"github.com/leadscore/leadscore/quality"
	"github.com/leadscore/leadscore/scoring"
	"go.yaml.in/yaml/v3"
)

// Result is everything found in a set of model files: the specifications
// (also those with errors, so that tools can still show them) and every
// diagnostic, sorted by file and position.
type Result struct {
	Specs []*leadscore.ModelSpec
	// Sources says where each spec came from; it is parallel to Specs.
	Sources     []Source
	Diagnostics []Diagnostic

	docs  []*docState // parallel to Specs
	files map[string]int
}

// Source is where a model was read from and, when it compiled, its version.
type Source struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Version is the engine's content hash of the model; empty when the
	// model has errors.
	Version string `json:"version,omitempty"`
	// Errors and Warnings count this model's diagnostics.
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// HasErrors reports whether any diagnostic is an error.
func (r *Result) HasErrors() bool { return countSeverity(r.Diagnostics, Error) > 0 }

// Errors returns the error diagnostics.
func (r *Result) Errors() []Diagnostic { return filterSeverity(r.Diagnostics, Error) }

// Warnings returns the warning diagnostics.
func (r *Result) Warnings() []Diagnostic { return filterSeverity(r.Diagnostics, Warning) }

// Compile compiles the models into a set the engine can evaluate. It fails
// when the files had errors, with the first of them in the message.
func (r *Result) Compile(opts scoring.Options) (*scoring.Set, error) {
	if errs := r.Errors(); len(errs) > 0 {
		msg := errs[0].String()
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
		}
		return nil, &leadscore.Error{Code: leadscore.CodeInvalid, Message: msg}
	}
	if len(r.Specs) == 0 {
		return nil, leadscore.Errorf(leadscore.CodeInvalid, "no models")
	}
	return scoring.CompileSet(r.Specs, opts)
}

// Parse reads and checks one file, which may hold several models as YAML
// documents separated by ---. The file is treated as a complete set: a
// combined model must find its parts in the same file.
func Parse(filename string, data []byte) *Result {
	r := newResult()
	r.parseFile(filename, data)
	if len(r.Specs) == 0 && len(r.Diagnostics) == 0 {
		r.add(Diagnostic{File: filename, Line: 1, Column: 1, Severity: Error, Message: "the file holds no model"})
	}
	r.check()
	return r
}

// Load reads and checks model files and directories as one set. A directory
// contributes its *.yaml and *.yml files (not those of subdirectories, and
// not fixture files named *.tests.yaml or *.tests.yml). The error is only for
// files that cannot be read; problems in their content are diagnostics.
func Load(paths ...string) (*Result, error) {
	files, err := modelFiles(paths)
	if err != nil {
		return nil, err
	}
	r := newResult()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r.parseFile(f, data)
	}
	if len(r.Specs) == 0 && len(r.Diagnostics) == 0 {
		r.add(Diagnostic{File: strings.Join(paths, ", "), Severity: Error, Message: "no model found"})
	}
	r.check()
	return r, nil
}

// IsTestFile reports whether a file name is a fixture file rather than a
// model (b2b-saas.tests.yaml).
func IsTestFile(name string) bool {
	base := filepath.Base(name)
	return strings.HasSuffix(base, ".tests.yaml") || strings.HasSuffix(base, ".tests.yml")
}

// IsRoutingFile reports whether a file name is a routing file
// (routing.yaml, routing-emea.yaml), which shares a directory with models
// but is not one.
func IsRoutingFile(name string) bool {
	base := filepath.Base(name)
	return strings.HasPrefix(base, "routing") && isYAMLFile(base)
}

func isYAMLFile(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

func modelFiles(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	addFile := func(f string) {
		if c := filepath.Clean(f); !seen[c] {
			seen[c] = true
			out = append(out, f)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			addFile(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type()&fs.ModeType != 0 && e.Type()&fs.ModeSymlink == 0 {
				continue
			}
			if e.IsDir() || !isYAMLFile(e.Name()) || IsTestFile(e.Name()) || IsRoutingFile(e.Name()) {
				continue
			}
			addFile(filepath.Join(p, e.Name()))
		}
	}
	return out, nil
}

func newResult() *Result { return &Result{files: map[string]int{}} }

func (r *Result) add(d Diagnostic) { r.Diagnostics = append(r.Diagnostics, d) }

func (r *Result) parseFile(filename string, data []byte) {
	if _, ok := r.files[filename]; !ok {
		r.files[filename] = len(r.files)
	}
	src := &yamlfile.Source{Name: filename, Data: data}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.add(syntaxDiagnostic(filename, err))
			// The decoder cannot resume after a syntax error.
			return
		}
		root := &doc
		if root.Kind == yaml.DocumentNode {
			if len(root.Content) == 0 {
				continue
			}
			root = root.Content[0]
		}
		if yamlfile.IsNull(root) {
			continue // an empty document, e.g. after a trailing ---
		}
		if err := yamlfile.CheckAliases(root); err != nil {
			r.add(Diagnostic{File: filename, Line: root.Line, Column: root.Column, Severity: Error, Message: err.Error()})
			continue
		}
		ds := newDocState(src, root)
		spec := ds.model(root)
		r.Specs = append(r.Specs, spec)
		r.Sources = append(r.Sources, Source{File: filename, Line: root.Line})
		r.docs = append(r.docs, ds)
	}
}

func syntaxDiagnostic(filename string, err error) Diagnostic {
	line, msg := yamlfile.SyntaxError(err)
	return Diagnostic{File: filename, Line: line, Severity: Error, Message: msg}
}

// check runs the checks that need every model of the set, then compiles
// each clean model with the engine so that anything the parser let through
// is still reported at its place.
func (r *Result) check() {
	byName := map[string]int{}
	for i, spec := range r.Specs {
		if spec.Name == "" {
			continue
		}
		if j, dup := byName[spec.Name]; dup {
			first := r.Sources[j]
			r.docs[i].errorAt("name", "two models are named %q (the other is at %s:%d)", spec.Name, first.File, first.Line)
			continue
		}
		byName[spec.Name] = i
	}
	for i, spec := range r.Specs {
		if spec.Kind != leadscore.KindCombined || spec.Combine == nil {
			continue
		}
		for j, part := range spec.Combine.Parts {
			if part.Model == "" {
				continue
			}
			k, ok := byName[part.Model]
			switch {
			case !ok:
				names := make([]string, 0, len(byName))
				for n := range byName {
					names = append(names, n)
				}
				msg := fmt.Sprintf("combine: no model named %q in this set", part.Model)
				if s := yamlfile.Suggest(part.Model, names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				r.docs[i].errorAt(fmt.Sprintf("combine.parts[%d].model", j), "%s", msg)
			case k == i:
				r.docs[i].errorAt(fmt.Sprintf("combine.parts[%d].model", j), "combine: a model cannot combine itself")
			}
		}
	}

	var checker *quality.Checker
	for i, spec := range r.Specs {
		ds := r.docs[i]
		if ds.errors > 0 {
			continue
		}
		if checker == nil {
			checker = quality.NewChecker()
		}
		m, err := scoring.Compile(spec, scoring.Options{Checker: checker, ValidateOnly: true})
		if err != nil {
			ds.compileProblems(err, "")
			continue
		}
		r.Sources[i].Version = m.Version()
	}
	clean := true
	for _, ds := range r.docs {
		clean = clean && ds.errors == 0
	}
	if clean && len(r.Specs) > 0 {
		if _, err := scoring.CompileSet(r.Specs, scoring.Options{Checker: checker, ValidateOnly: true}); err != nil {
			var ps leadscore.Problems
			if !errors.As(err, &ps) {
				ps = leadscore.Problems{{Code: leadscore.CodeInvalid, Message: err.Error()}}
			}
			for _, p := range ps {
				ds := r.docs[0]
				if name, _, ok := strings.Cut(p.Field, ": "); ok {
					if k, found := byName[name]; found {
						ds = r.docs[k]
					}
				}
				ds.compileProblems(leadscore.Problems{p}, ds.spec.Name+": ")
			}
		}
	}

	// r.Diagnostics holds only file-level problems (syntax) until here;
	// each model's own live with its document.
	all := r.Diagnostics
	for i, ds := range r.docs {
		all = append(all, ds.diags...)
		r.Sources[i].Errors = countSeverity(ds.diags, Error)
		r.Sources[i].Warnings = countSeverity(ds.diags, Warning)
	}
	sortDiagnostics(all, r.files)
	r.Diagnostics = all
}
