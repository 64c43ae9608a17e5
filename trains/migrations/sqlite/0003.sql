-- 3: owners, shares, per-train webhook tokens, retention of dedupe keys.
-- Trains that existed before have no owner: only TRAINS_ADMINS see them
-- until one claims them.
ALTER TABLE trains ADD COLUMN owner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE trains ADD COLUMN owner_login TEXT NOT NULL DEFAULT '';
CREATE INDEX trains_owner ON trains(owner_id);
CREATE TABLE train_shares (
	train_id INTEGER NOT NULL REFERENCES trains(id) ON DELETE CASCADE,
	login_id TEXT    NOT NULL,
	role     TEXT    NOT NULL CHECK (role IN ('viewer', 'editor')),
	PRIMARY KEY (train_id, login_id)
);
CREATE INDEX train_shares_login ON train_shares(login_id);
CREATE TABLE train_tokens (
	hash       TEXT    PRIMARY KEY,
	train_id   INTEGER NOT NULL REFERENCES trains(id) ON DELETE CASCADE,
	nonce      TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX train_tokens_train ON train_tokens(train_id);
ALTER TABLE event_keys ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX event_keys_at ON event_keys(at);
CREATE INDEX events_time ON events(time);
