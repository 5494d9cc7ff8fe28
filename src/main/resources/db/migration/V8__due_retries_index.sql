-- The resend timer asks, every interval and for every account, for the account's FAILED claims whose next try is
-- due (RetryClaims.due). Claims are kept for good, and the only index starting with the account was the primary
-- key: H2 and PostgreSQL read every claim the account ever made to find the few FAILED ones.
CREATE INDEX job_retries_due ON job_retries (account, outcome, next_try_at);
