-- Traces (camel.opentelemetry2.enabled): the W3C traceparent of the job change an event or a retry claim belongs to,
-- so that the publisher's send of the event, and a retry POST sent later (a resend after a failure), continue the
-- change's trace. Null when tracing is off.
ALTER TABLE job_events ADD COLUMN traceparent VARCHAR(55);
ALTER TABLE job_retries ADD COLUMN traceparent VARCHAR(55);
