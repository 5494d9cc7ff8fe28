-- The outbox's publisher holds this row locked (SELECT ... FOR UPDATE SKIP LOCKED, H2 and PostgreSQL alike) for
-- as long as it publishes a batch: two instances that both believe they lead the outbox (a lease overlap, a
-- paused JVM, leader election left off) never publish at once; the one that finds the row locked skips its turn.
CREATE TABLE outbox_claim (
    name          VARCHAR(32)  PRIMARY KEY
);
INSERT INTO outbox_claim (name) VALUES ('outbox');
