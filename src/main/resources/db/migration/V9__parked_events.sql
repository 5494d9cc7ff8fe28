-- An event the bus refuses for a reason no retry can fix (too large, refused by the broker's policy) is
-- counted at each refusal (refusals, park_reason) and, after jobs.events.park-after-refusals of them, parked
-- (parked_at): the publisher passes it by, and the events behind it go on. "bin/devana-jobs events republish"
-- puts it back in line.
ALTER TABLE job_events ADD COLUMN refusals INTEGER DEFAULT 0 NOT NULL;
ALTER TABLE job_events ADD COLUMN park_reason VARCHAR(1000);
ALTER TABLE job_events ADD COLUMN parked_at TIMESTAMP WITH TIME ZONE;

-- the publisher's look, WHERE published_at IS NULL AND parked_at IS NULL ORDER BY published_at, parked_at, seq,
-- reads the index in order
DROP INDEX job_events_unpublished;
CREATE INDEX job_events_unpublished ON job_events (published_at, parked_at, seq);
