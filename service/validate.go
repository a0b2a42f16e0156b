package service

import (
	"context"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/modelfile"
	"github.com/leadscore/leadscore/scoring"
)

// ValidateModel checks a model file without storing anything: the
// diagnostics UploadModel would give (errors and linter warnings), for an
// editor that validates while a person types.
func (s *Service) ValidateModel(ctx context.Context, filename string, source []byte) ([]leadscore.Diagnostic, error) {
	if filename == "" {
		filename = "model.yaml"
	}
	res := modelfile.Parse(filename, source)
	out := make([]leadscore.Diagnostic, 0, len(res.Diagnostics))
	for _, d := range res.Diagnostics {
		out = append(out, leadscore.Diagnostic{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Field: d.Field, Message: d.Message})
	}
	return out, nil
}

// TestModel runs fixture cases against a model file without storing
// anything, as `leadscore model test` does with files.
func (s *Service) TestModel(ctx context.Context, filename string, source, tests []byte) (*leadscore.ModelTestReport, error) {
	if filename == "" {
		filename = "model.yaml"
	}
	out := &leadscore.ModelTestReport{Cases: []leadscore.ModelTestCase{}}
	res := modelfile.Parse(filename, source)
	if res.HasErrors() {
		for _, d := range res.Errors() {
			out.Diagnostics = append(out.Diagnostics, toDiagnostic(d))
		}
		return out, leadscore.Errorf(leadscore.CodeInvalid, "the model file has %d errors; fix them before testing", len(out.Diagnostics))
	}
	cases, diags := modelfile.ParseTests(modelfile.TestFileName(filename), tests)
	broken := 0
	for _, d := range diags {
		out.Diagnostics = append(out.Diagnostics, toDiagnostic(d))
		if d.Severity == modelfile.Error {
			broken++
		}
	}
	if broken > 0 {
		return out, leadscore.Errorf(leadscore.CodeInvalid, "the tests file has %d errors", broken)
	}
	set, err := res.Compile(scoring.Options{})
	if err != nil {
		return out, leadscore.Errorf(leadscore.CodeInvalid, "%v", err)
	}
	for _, r := range modelfile.RunTests(set, cases) {
		c := leadscore.ModelTestCase{Name: r.Case.Name, Line: r.Case.Line, Model: r.Model, Failures: r.Failures}
		if r.Passed() {
			out.Passed++
		} else {
			out.Failed++
			c.Explanation = r.Explanation
		}
		out.Cases = append(out.Cases, c)
	}
	return out, nil
}

func toDiagnostic(d modelfile.Diagnostic) leadscore.Diagnostic {
	return leadscore.Diagnostic{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Field: d.Field, Message: d.Message}
}
