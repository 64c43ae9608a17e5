-- 5: the owner's Thing+ time zone (users/me "timezone", e.g. "+9.00"),
-- kept with the train so every reader sees its times in the owner's zone.
-- '' = unknown (shown as Asia/Seoul) until the owner signs in again.
ALTER TABLE trains ADD COLUMN owner_zone TEXT NOT NULL DEFAULT '';
