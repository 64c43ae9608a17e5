-- 4: the database's version of the trains (SSE event ids, "is this tab
-- current"): one row, bumped by every transaction that changes what a live
-- view shows, and a random id that changes only with the database.
CREATE TABLE trains_version (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	v     INTEGER NOT NULL,
	epoch TEXT    NOT NULL
);
INSERT INTO trains_version(id, v, epoch) VALUES (1, 0, lower(hex(randomblob(4))));
