// Package yamlfile holds the YAML reading that model files (modelfile) and
// routing files (automation) share, so that both report problems the same
// way: every problem at once, at the file:line:column it was written, with
// did-you-mean suggestions for unknown keys and pointers into the middle of
// expressions. It knows nothing about either file format.
package yamlfile
