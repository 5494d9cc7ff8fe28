-- Several Devana accounts share one database: every row says whose it is (account, a name of devana.accounts;
-- rows written before this migration belong to the default account), and what was unique per job is now unique
-- per account and job, since two accounts' APIs may hand out the same job id.
-- A primary key cannot be changed with the same SQL on H2 and PostgreSQL (they name it differently), so the
-- three tables keyed by a job id are built again under a named key, their rows copied, and renamed back.

CREATE TABLE job_state_by_account (
    account       VARCHAR(32)  DEFAULT 'default' NOT NULL,
    job_id        VARCHAR(255) NOT NULL,
    target_id     VARCHAR(100000),
    job_type      VARCHAR(64)  NOT NULL,
    status        VARCHAR(32)  NOT NULL,
    progress      INTEGER,
    updated_at    TIMESTAMP WITH TIME ZONE,
    first_seen_at TIMESTAMP WITH TIME ZONE NOT NULL,
    changed_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    job_json      VARCHAR(1000000) NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE,
    gone_at       TIMESTAMP WITH TIME ZONE,
    CONSTRAINT job_state_one_row_per_job PRIMARY KEY (account, job_id)
);
INSERT INTO job_state_by_account (account, job_id, target_id, job_type, status, progress, updated_at, first_seen_at,
                                  changed_at, job_json, created_at, gone_at)
    SELECT 'default', job_id, target_id, job_type, status, progress, updated_at, first_seen_at, changed_at, job_json,
           created_at, gone_at FROM job_state;
DROP TABLE job_state;
ALTER TABLE job_state_by_account RENAME TO job_state;
CREATE INDEX job_state_by_status ON job_state (account, status);

CREATE TABLE job_completions_by_account (
    account       VARCHAR(32)  DEFAULT 'default' NOT NULL,
    job_id        VARCHAR(255) NOT NULL,
    target_id     VARCHAR(100000),
    job_type      VARCHAR(64)  NOT NULL,
    completed_at  TIMESTAMP WITH TIME ZONE,
    recorded_at   TIMESTAMP WITH TIME ZONE NOT NULL,
    metadata      VARCHAR(1000000),
    job_json      VARCHAR(1000000) NOT NULL,
    CONSTRAINT job_completions_one_row_per_job PRIMARY KEY (account, job_id)
);
INSERT INTO job_completions_by_account (account, job_id, target_id, job_type, completed_at, recorded_at, metadata, job_json)
    SELECT 'default', job_id, target_id, job_type, completed_at, recorded_at, metadata, job_json FROM job_completions;
DROP TABLE job_completions;
ALTER TABLE job_completions_by_account RENAME TO job_completions;

CREATE TABLE job_retries_by_account (
    account       VARCHAR(32)  DEFAULT 'default' NOT NULL,
    failed_job_id VARCHAR(255) NOT NULL,
    target_id     VARCHAR(100000),
    job_type      VARCHAR(64)  NOT NULL,
    attempt       INTEGER,
    outcome       VARCHAR(16)  NOT NULL,
    http_status   INTEGER,
    decided_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    tries         INTEGER      NOT NULL,
    next_try_at   TIMESTAMP WITH TIME ZONE,
    last_error    VARCHAR(1000),
    target_key    VARCHAR(64),
    CONSTRAINT job_retries_one_decision_per_job PRIMARY KEY (account, failed_job_id),
    CONSTRAINT job_retries_known_outcome CHECK (outcome IN ('REQUESTED', 'EXHAUSTED', 'REJECTED', 'UNSUPPORTED', 'FAILED'))
);
INSERT INTO job_retries_by_account (account, failed_job_id, target_id, job_type, attempt, outcome, http_status,
                                    decided_at, tries, next_try_at, last_error, target_key)
    SELECT 'default', failed_job_id, target_id, job_type, attempt, outcome, http_status, decided_at, tries, next_try_at,
           last_error, target_key FROM job_retries;
DROP TABLE job_retries;
ALTER TABLE job_retries_by_account RENAME TO job_retries;
CREATE INDEX job_retries_by_type ON job_retries (job_type, outcome);
-- each (account, target, type) has each attempt number once (V4's rule, per account)
CREATE UNIQUE INDEX job_retries_one_attempt_number ON job_retries (account, target_key, job_type, attempt);

-- Event ids are unique across accounts already (an account's name is part of its events' ids), and a push's
-- delivery key likewise; these two only say whose the row is.
ALTER TABLE job_events ADD COLUMN account VARCHAR(32) DEFAULT 'default' NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN account VARCHAR(32) DEFAULT 'default' NOT NULL;
