package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/leadscore/leadscore"
	"github.com/leadscore/leadscore/analytics"
)

func shadowPath(name, version string) string {
	return "/api/v1/models/" + url.PathEscape(name) + "/versions/" + url.PathEscape(version) + "/shadow"
}

// StartShadow runs a stored version of a model in shadow beside its active
// version, replacing the model's running shadow.
func (c *Client) StartShadow(ctx context.Context, name, version string) (*analytics.ShadowStarted, error) {
	var out analytics.ShadowStarted
	err := c.call(ctx, "POST", shadowPath(name, version), nil, nil, &out)
	return done(&out, err)
}

// StopShadow stops the model's shadow running version.
func (c *Client) StopShadow(ctx context.Context, name, version string) error {
	return c.call(ctx, "DELETE", shadowPath(name, version), nil, nil, nil)
}

// Shadows lists the versions running in shadow.
func (c *Client) Shadows(ctx context.Context) ([]leadscore.Shadow, error) {
	var out page[leadscore.Shadow]
	if err := c.call(ctx, "GET", "/api/v1/shadows", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

func shadowValues(q analytics.ShadowQuery) url.Values {
	v := url.Values{}
	if q.LostAfter > 0 {
		v.Set("lost_after", leadscore.Duration(q.LostAfter).String())
	}
	if q.MaxLeads > 0 {
		v.Set("max_leads", strconv.Itoa(q.MaxLeads))
	}
	return v
}

// ShadowReport compares a model's active version with its shadow version.
func (c *Client) ShadowReport(ctx context.Context, q analytics.ShadowQuery) (*analytics.ShadowComparison, error) {
	var out analytics.ShadowComparison
	err := c.call(ctx, "GET", "/api/v1/models/"+url.PathEscape(q.Model)+"/shadow/report", shadowValues(q), nil, &out)
	return done(&out, err)
}
