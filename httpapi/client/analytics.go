package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

// reportValues encodes what every report shares.
func reportValues(q analytics.Query) url.Values {
	v := url.Values{}
	if q.Model != "" {
		v.Set("model", q.Model)
	}
	if q.Version != "" {
		v.Set("version", q.Version)
	}
	if !q.AsOf.IsZero() {
		v.Set("as_of", q.AsOf.Format(time.RFC3339Nano))
	}
	if q.Horizon > 0 {
		v.Set("horizon", leadscore.Duration(q.Horizon).String())
	}
	if q.LostAfter > 0 {
		v.Set("lost_after", leadscore.Duration(q.LostAfter).String())
	}
	if q.MaxLeads > 0 {
		v.Set("max_leads", strconv.Itoa(q.MaxLeads))
	}
	return v
}

// CalibrationReport measures a model against the outcomes stored on the
// server.
func (c *Client) CalibrationReport(ctx context.Context, q analytics.Query) (*analytics.CalibrationResult, error) {
	var out analytics.CalibrationResult
	err := c.call(ctx, "GET", "/api/v1/reports/calibration", reportValues(q), nil, &out)
	return done(&out, err)
}

// CalibrationHTML returns the calibration report as the server renders it:
// one self-contained HTML page.
func (c *Client) CalibrationHTML(ctx context.Context, q analytics.Query) ([]byte, error) {
	v := reportValues(q)
	v.Set("format", "html")
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/reports/calibration?"+v.Encode(), nil)
	if err != nil {
		return nil, &leadscore.Error{Code: leadscore.CodeInvalid, Message: "cannot build the request", Err: err}
	}
	req.Header.Set("Accept", "text/html, application/problem+json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &leadscore.Error{Code: leadscore.CodeInternal, Message: "GET /api/v1/reports/calibration failed", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, responseError(resp)
	}
	return io.ReadAll(resp.Body)
}

// ThresholdAdvice suggests an MQL threshold for a target.
func (c *Client) ThresholdAdvice(ctx context.Context, q analytics.Query, t analytics.Target) (*analytics.AdviceResult, error) {
	v := reportValues(q)
	switch {
	case t.CapacityPerWeek > 0:
		v.Set("capacity", strconv.FormatFloat(t.CapacityPerWeek, 'g', -1, 64))
	case t.MinRate > 0:
		v.Set("min_rate", strconv.FormatFloat(t.MinRate, 'g', -1, 64))
	case t.BestF1:
		v.Set("best_f1", "true")
	}
	var out analytics.AdviceResult
	err := c.call(ctx, "GET", "/api/v1/reports/threshold", v, nil, &out)
	return done(&out, err)
}

// RuleLift measures each rule of a model against the stored outcomes.
func (c *Client) RuleLift(ctx context.Context, q analytics.Query) (*analytics.LiftResult, error) {
	var out analytics.LiftResult
	err := c.call(ctx, "GET", "/api/v1/reports/lift", reportValues(q), nil, &out)
	return done(&out, err)
}

// PreviewVersion compares a stored version of a model with its active
// version over the stored leads; nothing changes on the server.
func (c *Client) PreviewVersion(ctx context.Context, q analytics.Query) (*analytics.PreviewResult, error) {
	v := reportValues(q)
	v.Del("model")
	v.Del("version")
	var out analytics.PreviewResult
	err := c.call(ctx, "POST", "/api/v1/models/"+url.PathEscape(q.Model)+"/versions/"+url.PathEscape(q.Version)+"/preview", v, nil, &out)
	return done(&out, err)
}
