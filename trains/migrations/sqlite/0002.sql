-- 2: per-train operator settings (crowd thresholds, end-of-service
-- reset), door-sensor health flags, and a time index for the history.
CREATE TABLE train_settings (
	train_id     INTEGER PRIMARY KEY REFERENCES trains(id) ON DELETE CASCADE,
	spacious     INTEGER NOT NULL DEFAULT 80,
	normal       INTEGER NOT NULL DEFAULT 130,
	caution      INTEGER NOT NULL DEFAULT 150,
	reset_on     INTEGER NOT NULL DEFAULT 1,
	reset_minute INTEGER NOT NULL DEFAULT 60,
	zone         TEXT    NOT NULL DEFAULT 'Asia/Seoul',
	last_reset   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE flags (
	id           INTEGER PRIMARY KEY,
	time         INTEGER NOT NULL,
	train_id     INTEGER NOT NULL,
	car_id       INTEGER NOT NULL,
	sensor_id    TEXT    NOT NULL DEFAULT '',
	kind         TEXT    NOT NULL,
	detail       TEXT    NOT NULL DEFAULT '',
	dismissed_at INTEGER NOT NULL DEFAULT 0,
	note         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX flags_open ON flags(dismissed_at, car_id);
CREATE INDEX events_train_time ON events(train_id, time);
