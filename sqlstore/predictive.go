package sqlstore

import (
	"bytes"
	"compress/flate"
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/leadscore/leadscore"
)

// Predictive artefacts (migration 00008): the trained models that model
// files name as store:NAME, with their training reports.

const (
	artefactCols = `p.name, p.version, p.report, p.activatable, p.is_current, p.created_at, p.created_by`

	qArtefacts = `SELECT ` + artefactCols + ` FROM predictive_artifacts p
		WHERE p.workspace_id = ? AND p.name = ? ORDER BY p.created_at DESC, p.version`
	qAllArtefacts = `SELECT ` + artefactCols + ` FROM predictive_artifacts p
		WHERE p.workspace_id = ? ORDER BY p.name, p.created_at DESC, p.version`
	qArtefact = `SELECT ` + artefactCols + `, p.body_z FROM predictive_artifacts p
		WHERE p.workspace_id = ? AND p.name = ? AND p.version = ?`
	qCurrentArtefact = `SELECT ` + artefactCols + `, p.body_z FROM predictive_artifacts p
		WHERE p.workspace_id = ? AND p.name = ? AND p.is_current = TRUE`
	qArtefactExists = `SELECT 1 FROM predictive_artifacts WHERE workspace_id = ? AND name = ? AND version = ?`
	// Making a version current is two statements, as for models: the
	// partial unique index would refuse one UPDATE holding two current rows.
	qUncurrentArtefact = `UPDATE predictive_artifacts SET is_current = FALSE
		WHERE workspace_id = ? AND name = ? AND is_current = TRUE`
	qPutArtefact = `INSERT INTO predictive_artifacts (workspace_id, name, version, body_z, report, activatable,
			is_current, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// predictiveQueries are prepared with the other static queries.
var predictiveQueries = []string{
	qArtefacts, qAllArtefacts, qArtefact, qCurrentArtefact, qArtefactExists, qUncurrentArtefact, qPutArtefact,
}

var (
	_ leadscore.PredictiveTx     = (*tx)(nil)
	_ leadscore.PredictiveReader = (*workspace)(nil)
)

func scanArtefact(sc scanner, body bool) (leadscore.PredictiveArtifact, error) {
	var a leadscore.PredictiveArtifact
	var report []byte
	var created int64
	dest := []any{&a.Name, &a.Version, &report, &a.Activatable, &a.Current, &created, &a.CreatedBy}
	var z []byte
	if body {
		dest = append(dest, &z)
	}
	if err := sc.Scan(dest...); err != nil {
		return a, err
	}
	a.CreatedAt = fromMicros(created)
	if len(report) > 0 {
		a.Report = bytes.Clone(report)
	}
	if body {
		b, err := inflate(z)
		if err != nil {
			return a, fmt.Errorf("sqlstore: stored artefact %s@%s is unreadable: %w", a.Name, a.Version, err)
		}
		a.Body = b
	}
	return a, nil
}

// PredictiveArtifacts lists the versions of name (every name when empty),
// newest first, without their bodies.
func (rd *reader) PredictiveArtifacts(ctx context.Context, name string) ([]leadscore.PredictiveArtifact, error) {
	var rows *sql.Rows
	var err error
	if name == "" {
		rows, err = rd.r.query(ctx, qAllArtefacts, rd.ws)
	} else {
		rows, err = rd.r.query(ctx, qArtefacts, rd.ws, name)
	}
	if err != nil {
		return nil, err
	}
	return scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.PredictiveArtifact, error) { return scanArtefact(r, false) })
}

// PredictiveArtifact returns one version with its body; an empty version
// is the current one.
func (rd *reader) PredictiveArtifact(ctx context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	q, args := qArtefact, []any{rd.ws, name, version}
	if version == "" {
		q, args = qCurrentArtefact, []any{rd.ws, name}
	}
	rows, err := rd.r.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	found, err := scanAll(rd.r, rows, func(r *sql.Rows) (leadscore.PredictiveArtifact, error) { return scanArtefact(r, true) })
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		if version == "" {
			return nil, leadscore.Errorf(leadscore.CodeNotFound, "predictive model %q has no current version", name)
		}
		return nil, notFound("predictive model", name+"@"+version)
	}
	return &found[0], nil
}

// PutPredictiveArtifact stores a new, immutable version.
func (t *tx) PutPredictiveArtifact(ctx context.Context, a *leadscore.PredictiveArtifact) error {
	if err := required("name", a.Name, "version", a.Version); err != nil {
		return err
	}
	if len(a.Body) == 0 {
		return invalid("body", "is required")
	}
	var report jsonText
	if len(a.Report) > 0 {
		report = jsonText{s: string(a.Report), valid: true}
	}
	var one int
	found, err := t.r.one(ctx, qArtefactExists, []any{t.ws, a.Name, a.Version}, &one)
	if err != nil {
		return err
	}
	if found {
		return conflict("predictive model %q version %q already exists", a.Name, a.Version)
	}
	z, err := deflate(a.Body)
	if err != nil {
		return err
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = t.now()
	}
	a.CreatedAt = truncMicros(a.CreatedAt)
	if a.Current {
		if _, err := t.r.exec(ctx, qUncurrentArtefact, t.ws, a.Name); err != nil {
			return err
		}
	}
	_, err = t.r.exec(ctx, qPutArtefact, t.ws, a.Name, a.Version, z, report, a.Activatable, a.Current,
		micros(a.CreatedAt), a.CreatedBy)
	return err
}

// deflate compresses an artefact: its trees and levels repeat the same
// keys thousands of times.
func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func inflate(z []byte) ([]byte, error) {
	return io.ReadAll(flate.NewReader(bytes.NewReader(z)))
}
