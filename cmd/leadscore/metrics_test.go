package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/leadscore/leadscore"
)

func gather(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

func TestPromMetricsRecordWhatTheServiceReports(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newPromMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	fams := gather(t, reg)
	// Every outcome is a series from the start, at zero.
	if got := len(fams["leadscore_events_ingested_total"].GetMetric()); got != 3 {
		t.Fatalf("%d ingest series before any event, want 3", got)
	}

	m.EventsIngested(leadscore.IngestAccepted, 5)
	m.EventsIngested(leadscore.IngestDuplicate, 2)
	m.EventsIngested(leadscore.IngestAccepted, 1)
	m.BatchCommitted(120, 30*time.Millisecond)
	m.BatchCommitted(8, 2*time.Millisecond)
	m.LeadsScored(40, 10*time.Millisecond)
	m.LeadsScored(0, 0)
	m.DueLeads(7)
	m.QueueDepth(3)
	m.QueueDepth(1)

	fams = gather(t, reg)
	byStatus := map[string]float64{}
	for _, s := range fams["leadscore_events_ingested_total"].GetMetric() {
		byStatus[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
	}
	if byStatus["accepted"] != 6 || byStatus["duplicate"] != 2 || byStatus["rejected"] != 0 {
		t.Errorf("ingested by status: %v", byStatus)
	}
	h := fams["leadscore_commit_messages"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 2 || h.GetSampleSum() != 128 {
		t.Errorf("commit sizes: count %d sum %v", h.GetSampleCount(), h.GetSampleSum())
	}
	if s := fams["leadscore_commit_seconds"].GetMetric()[0].GetHistogram().GetSampleSum(); s < 0.031 || s > 0.033 {
		t.Errorf("commit seconds sum %v, want 0.032", s)
	}
	if v := fams["leadscore_leads_scored_total"].GetMetric()[0].GetCounter().GetValue(); v != 40 {
		t.Errorf("leads scored %v", v)
	}
	// A transaction that scored nobody is not a scoring duration.
	if c := fams["leadscore_scoring_seconds"].GetMetric()[0].GetHistogram().GetSampleCount(); c != 1 {
		t.Errorf("scoring observations %d, want 1", c)
	}
	if v := fams["leadscore_due_leads_total"].GetMetric()[0].GetCounter().GetValue(); v != 7 {
		t.Errorf("due leads %v", v)
	}
	if v := fams["leadscore_commit_queue_depth"].GetMetric()[0].GetGauge().GetValue(); v != 1 {
		t.Errorf("queue depth %v, want the last value 1", v)
	}
	if got := len(fams["leadscore_webhook_attempts_total"].GetMetric()); got != 3 {
		t.Errorf("%d webhook outcome series, want 3 from the start", got)
	}
	m.WebhookAttempted("retry", 2*time.Second, false)
	m.WebhookAttempted("retry", time.Second, true)
	m.WebhookAttempted("delivered", 50*time.Millisecond, false)
	fams = gather(t, reg)
	byOutcome := map[string]float64{}
	for _, s := range fams["leadscore_webhook_attempts_total"].GetMetric() {
		byOutcome[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
	}
	if byOutcome["retry"] != 2 || byOutcome["delivered"] != 1 || byOutcome["gone"] != 0 {
		t.Errorf("webhook attempts by outcome: %v", byOutcome)
	}
	if v := fams["leadscore_webhook_deliveries_failed_total"].GetMetric()[0].GetCounter().GetValue(); v != 1 {
		t.Errorf("failed deliveries %v, want 1", v)
	}
	if s := fams["leadscore_webhook_attempt_seconds"].GetMetric()[0].GetHistogram().GetSampleSum(); s < 3.04 || s > 3.06 {
		t.Errorf("attempt seconds sum %v, want 3.05", s)
	}
}

// Two sets of service metrics cannot share a registry: the second would
// silently split the counts.
func TestPromMetricsRefuseADuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newPromMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := newPromMetrics(reg); err == nil {
		t.Fatal("registered twice on one registry")
	}
}

func TestExpandModelPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.yaml", "a.yml", "a.tests.yaml", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.yaml"), 0o700); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "notes.txt")
	got, err := expandModelPaths([]string{dir, single})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.yml"), filepath.Join(dir, "b.yaml"), single}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
	empty := t.TempDir()
	if _, err := expandModelPaths([]string{empty}); err == nil || !strings.Contains(err.Error(), "no model file") {
		t.Errorf("an empty directory: %v", err)
	}
	if _, err := expandModelPaths([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing file was accepted")
	}
}

// fakeModels is the part of a service that activation uses: "combined"
// can only be activated once "part" is active.
type fakeModels struct {
	leadscore.Service
	active    map[string]string
	activated []string
}

func (f *fakeModels) ActiveModels(context.Context) ([]leadscore.ModelVersion, error) {
	var out []leadscore.ModelVersion
	for n, v := range f.active {
		out = append(out, leadscore.ModelVersion{Name: n, Version: v, Active: true})
	}
	return out, nil
}

func (f *fakeModels) ActivateModel(_ context.Context, name, version string) (*leadscore.Job, error) {
	if name == "combined" && f.active["part"] == "" {
		return nil, leadscore.Errorf(leadscore.CodeConflict, "part is not active")
	}
	f.active[name] = version
	f.activated = append(f.activated, name+"@"+version)
	return &leadscore.Job{ID: "job"}, nil
}

func TestActivateVersionsOrdersCombinedModelsAfterTheirParts(t *testing.T) {
	f := &fakeModels{active: map[string]string{"same": "v1"}}
	err := activateVersions(context.Background(), f, []leadscore.ModelVersion{
		{Name: "combined", Version: "c1"}, {Name: "part", Version: "p1"}, {Name: "same", Version: "v1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.activated, ","); got != "part@p1,combined@c1" {
		t.Errorf("activated %s; want the part first and the already active version left alone", got)
	}

	stuck := &fakeModels{active: map[string]string{}}
	err = activateVersions(context.Background(), stuck, []leadscore.ModelVersion{{Name: "combined", Version: "c1"}})
	var exit exitError
	if !errors.As(err, &exit) || exit.code != 2 || !strings.Contains(exit.msg, "combined@c1") {
		t.Errorf("a version that can never be activated: %v", err)
	}
}
