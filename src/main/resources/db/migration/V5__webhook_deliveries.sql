-- Every accepted webhook push leaves its key here (the SHA-256 of its raw body, or of its Standard Webhooks
-- id), in the transaction that records what it observed: a replay of the same push finds its key and
-- changes nothing. Kept past the job's own tracked state (housekeeping prunes it later than job_state).
CREATE TABLE webhook_deliveries (
    delivery_key  VARCHAR(64)  PRIMARY KEY,
    job_id        VARCHAR(255) NOT NULL,
    received_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX webhook_deliveries_by_age ON webhook_deliveries (received_at);
