-- Two instances deciding two failures of one target at the same moment would both count the same
-- used attempts and both claim the next number. The database keeps each (target, type, attempt)
-- once: the claim that loses is refused and decided again on the next cycle. target_id is unbounded,
-- so the index is on target_key, a SHA-256 of it (hex). NULLs never conflict: older rows, and
-- decisions without an attempt number (EXHAUSTED, REJECTED, UNSUPPORTED), are not constrained.
ALTER TABLE job_retries ADD COLUMN target_key VARCHAR(64);
CREATE UNIQUE INDEX job_retries_one_attempt_number ON job_retries (target_key, job_type, attempt);
