-- 4: the database's version of the trains (SSE event ids, "is this tab
-- current"): one row, bumped by every transaction that changes what a live
-- view shows, and a random id that changes only with the database. Its row
-- lock also orders the version numbers as the commits are ordered.
CREATE TABLE trains_version (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	v     BIGINT  NOT NULL,
	epoch TEXT    NOT NULL
);
INSERT INTO trains_version(id, v, epoch) VALUES (1, 0, substr(md5(random()::text), 1, 8));

-- trains_push counts a run of pushes in order, in one round trip, exactly as
-- sqliteBackend.pushes does statement by statement: an unknown sensor is
-- logged; a sensor of another train than the pushing token's (want_trains[i] not
-- 0) is refused without a row; a key seen before is a duplicate; otherwise
-- one clamped UPDATE moves the count by one (never below zero) and the key
-- is kept with its time (for the dedupe window).
CREATE FUNCTION trains_push(sensors text[], types text[], keys text[], want_trains bigint[], now_ms bigint)
RETURNS TABLE(event_id bigint, outcome text, train_id bigint, car_id bigint, delta integer, count_after integer, reason text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	i integer;
	v_car bigint;
	v_train bigint;
	v_inv boolean;
	v_delta integer;
	v_count integer;
	v_reason text;
	v_outcome text;
	n integer;
BEGIN
	FOR i IN 1 .. coalesce(array_length(sensors, 1), 0) LOOP
		v_reason := ''; v_delta := 0; v_count := 0; event_id := 0;
		SELECT d.car_id, d.inverted, c.train_id INTO v_car, v_inv, v_train
			FROM doors d JOIN cars c ON c.id = d.car_id WHERE d.sensor_id = sensors[i];
		IF NOT FOUND THEN
			v_outcome := 'unknown_sensor'; v_car := 0; v_train := 0;
		ELSIF want_trains[i] <> 0 AND want_trains[i] <> v_train THEN
			v_outcome := 'wrong_train';
		ELSE
			n := 1;
			IF keys[i] <> '' THEN
				INSERT INTO event_keys(key, at) VALUES (keys[i], now_ms) ON CONFLICT DO NOTHING;
				GET DIAGNOSTICS n = ROW_COUNT;
			END IF;
			IF n = 0 THEN
				v_outcome := 'duplicate';
				SELECT c.count INTO v_count FROM cars c WHERE c.id = v_car;
			ELSE
				v_delta := CASE WHEN types[i] = 'OUT' THEN -1 ELSE 1 END;
				IF v_inv THEN
					v_delta := -v_delta; v_reason := 'inverted door';
				END IF;
				UPDATE cars c SET count = c.count + v_delta, updated_at = now_ms
					WHERE c.id = v_car AND c.count + v_delta >= 0 RETURNING c.count INTO v_count;
				IF FOUND THEN
					v_outcome := 'applied';
				ELSE
					v_outcome := 'clamped'; v_delta := 0;
					SELECT c.count INTO v_count FROM cars c WHERE c.id = v_car;
				END IF;
			END IF;
		END IF;
		IF v_outcome <> 'wrong_train' THEN
			INSERT INTO events(time, train_id, car_id, sensor_id, type, outcome, delta, count_after, event_key, reason)
				VALUES (now_ms, v_train, v_car, sensors[i], types[i], v_outcome, v_delta, v_count, keys[i], v_reason)
				RETURNING events.id INTO event_id;
		END IF;
		outcome := v_outcome; train_id := v_train; car_id := v_car;
		delta := v_delta; count_after := v_count; reason := v_reason;
		RETURN NEXT;
	END LOOP;
END
$$;
