-- The outbox of events to publish and the inbox of events consumed, in
-- every service's database, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS "outbox_messages" (
  "id" bigserial,
  "event_id" varchar(36),
  "topic" varchar(128),
  "key" varchar(64),
  "type" varchar(64),
  "payload" bytea,
  "traceparent" varchar(55),
  "created_at" timestamptz,
  "published_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_outbox_messages_published_at" ON "outbox_messages" ("published_at");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_outbox_messages_event_id" ON "outbox_messages" ("event_id");
CREATE TABLE IF NOT EXISTS "processed_events" (
  "consumer" varchar(64),
  "event_id" varchar(36),
  "processed_at" timestamptz,
  PRIMARY KEY ("consumer","event_id")
);

-- +goose Down
DROP TABLE IF EXISTS "processed_events";
DROP TABLE IF EXISTS "outbox_messages";
