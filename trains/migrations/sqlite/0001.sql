-- 1: initial schema
CREATE TABLE trains (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL,
	running    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE cars (
	id         INTEGER PRIMARY KEY,
	train_id   INTEGER NOT NULL REFERENCES trains(id) ON DELETE CASCADE,
	position   INTEGER NOT NULL,
	capacity   INTEGER NOT NULL CHECK (capacity > 0),
	count      INTEGER NOT NULL DEFAULT 0 CHECK (count >= 0),
	updated_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cars_train ON cars(train_id, position);
CREATE TABLE doors (
	sensor_id  TEXT    PRIMARY KEY,
	car_id     INTEGER NOT NULL REFERENCES cars(id) ON DELETE CASCADE,
	label      TEXT    NOT NULL DEFAULT '',
	inverted   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX doors_car ON doors(car_id);
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	time        INTEGER NOT NULL,
	train_id    INTEGER NOT NULL DEFAULT 0,
	car_id      INTEGER NOT NULL DEFAULT 0,
	sensor_id   TEXT    NOT NULL DEFAULT '',
	type        TEXT    NOT NULL,
	outcome     TEXT    NOT NULL,
	delta       INTEGER NOT NULL DEFAULT 0,
	count_after INTEGER NOT NULL DEFAULT 0,
	event_key   TEXT    NOT NULL DEFAULT '',
	reason      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_train ON events(train_id, id);
CREATE INDEX events_car ON events(car_id, id);
CREATE INDEX events_outcome ON events(outcome, id);
-- keys of pushes that were counted (applied or clamped), for de-duplication
CREATE TABLE event_keys (key TEXT PRIMARY KEY) WITHOUT ROWID;
