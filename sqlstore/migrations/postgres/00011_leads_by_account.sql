-- Pages through every lead account by account, so that a report over the
-- stored leads sees each account's people together (their activity is
-- what account.active_people counts) in one pass.

-- +goose Up
CREATE INDEX leads_by_account ON leads (workspace_id, account_id, id);

-- +goose Down
DROP INDEX leads_by_account;
