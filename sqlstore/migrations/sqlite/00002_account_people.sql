-- Lists an account's people in order of their last update without sorting
-- them, and finds them through their account when listed by score:
-- leads_account is ordered by activity, which serves neither.

-- +goose Up
CREATE INDEX leads_account_updated ON leads (workspace_id, account_id, updated_at DESC, id);

-- +goose Down
DROP INDEX leads_account_updated;
