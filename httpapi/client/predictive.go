package client

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/leadscore/leadscore"
)

// TrainPredictive starts training a predictive model from the stored
// outcomes and returns its job.
func (c *Client) TrainPredictive(ctx context.Context, name string, opt leadscore.PredictiveTraining) (*leadscore.Job, error) {
	var out leadscore.Job
	err := c.call(ctx, "POST", "/api/v1/predictive/"+url.PathEscape(name)+"/train", nil, opt, &out)
	return done(&out, err)
}

// PredictiveArtifacts lists the stored predictive models (one name's when
// name is set), each with its training report.
func (c *Client) PredictiveArtifacts(ctx context.Context, name string) ([]leadscore.PredictiveArtifact, error) {
	var q url.Values
	if name != "" {
		q = url.Values{"name": {name}}
	}
	var out page[leadscore.PredictiveArtifact]
	err := c.call(ctx, "GET", "/api/v1/predictive", q, nil, &out)
	return out.Data, err
}

// PredictiveArtifact returns one stored version with its report and its
// artefact (Body); an empty version is the current one.
func (c *Client) PredictiveArtifact(ctx context.Context, name, version string) (*leadscore.PredictiveArtifact, error) {
	if version == "" {
		version = "current"
	}
	path := "/api/v1/predictive/" + url.PathEscape(name) + "/versions/" + url.PathEscape(version)
	var out leadscore.PredictiveArtifact
	if err := c.call(ctx, "GET", path, nil, nil, &out); err != nil {
		return nil, err
	}
	var body json.RawMessage
	if err := c.do(ctx, "GET", path, url.Values{"format": {"artifact"}}, "", nil, &body); err != nil {
		return nil, err
	}
	out.Body = append(body, '\n')
	return &out, nil
}
