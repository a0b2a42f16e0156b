package client_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
	"github.com/leadscore/leadscore/httpapi"
)

func TestAnalyticsCalls(t *testing.T) {
	f := setup(t, httpapi.Limits{})
	ctx := t.Context()
	for range 2 {
		if _, err := f.admin.UploadModel(ctx, "m.yaml", []byte("name: m\n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.admin.ActivateModel(ctx, "m", "v1"); err != nil {
		t.Fatal(err)
	}
	q := analytics.Query{Model: "m", LostAfter: 90 * 24 * time.Hour, Horizon: 30 * 24 * time.Hour, MaxLeads: 5}
	rep, err := f.read.CalibrationReport(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Report.Model != "m" || rep.Scope.LostAfter != "2160h0m0s" || rep.Scope.Horizon != "720h0m0s" || rep.Scope.Limit != 5 {
		t.Errorf("calibration: %+v", rep.Scope)
	}
	page, err := f.read.CalibrationHTML(ctx, q)
	if err != nil || !strings.Contains(string(page), "<title>Calibration report: m</title>") {
		t.Errorf("HTML: %v %.200s", err, page)
	}
	adv, err := f.read.ThresholdAdvice(ctx, q, analytics.Target{MinRate: 0.25})
	if err != nil || adv.Advice.Target.MinRate != 0.25 {
		t.Errorf("advice: %v %+v", err, adv)
	}
	if _, err := f.read.RuleLift(ctx, q); err != nil {
		t.Error(err)
	}
	prev, err := f.read.PreviewVersion(ctx, analytics.Query{Model: "m", Version: "v2"})
	if err != nil || prev.Active != "v1" || prev.Version != "v2" {
		t.Errorf("preview: %v %+v", err, prev)
	}
	_, err = f.read.CalibrationReport(ctx, analytics.Query{Model: "nope"})
	wantCode(t, err, leadscore.CodeNotFound, 404)
	_, err = f.read.CalibrationHTML(ctx, analytics.Query{})
	wantCode(t, err, leadscore.CodeInvalid, 400)
}
