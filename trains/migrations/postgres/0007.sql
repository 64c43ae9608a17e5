-- 7: events_outcome (outcome, id) served no query: every reader of events
-- by outcome also names its trains (train_id IN …, events_train), and the
-- door-health checks go by car (events_car). Each index costs every push:
-- trains_push_batch measured in one backend (3,000 batches of 32 pushes,
-- CPU from /proc) at 41–43 µs of CPU per push without it against 45 with.
DROP INDEX IF EXISTS events_outcome;
