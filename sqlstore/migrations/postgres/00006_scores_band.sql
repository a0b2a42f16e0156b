-- Lists one band of a model by score (the warm leads, say) without walking
-- past every lead of the bands above it in the ranking.

-- +goose Up
CREATE INDEX scores_band ON scores (workspace_id, model, band, score DESC, lead_id);

-- +goose Down
DROP INDEX scores_band;
