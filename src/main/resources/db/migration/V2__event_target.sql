-- The outbox row carries the job's target id, so a publisher can key or route by it
-- (Kafka key = targetId keeps one target's events in order). Not indexed: target ids are unbounded.
ALTER TABLE job_events ADD COLUMN target_id VARCHAR(100000);
