-- Incremental polling keeps asking about the jobs it believes active: it needs their creation time,
-- to know whether the newest page covered them, and a mark for jobs the API no longer shows
-- (killed, or older than its 24 h window) so that it stops asking.
ALTER TABLE job_state ADD COLUMN created_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE job_state ADD COLUMN gone_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX job_state_by_status ON job_state (status);
