// Package modelfile reads scoring models written as YAML (the format is
// documented in docs/model-format.md), checks them and turns them into
// leadscore.ModelSpec values for the engine.
//
// Checking reports every problem at once, each with the file, line and
// column it comes from, because a marketer editing a model should fix a
// whole list in one pass instead of one error per run. Problems are errors
// (the model cannot be used) or warnings (lints: the model works but has a
// weakness the lead-scoring literature warns about).
//
// The package also reads fixture tests (<model>.tests.yaml) and runs them
// against a compiled set, so that the CLI and the web UI share one runner.
package modelfile
