-- The inventory service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS "stocks" (
  "sku" varchar(64),
  "name" varchar(128),
  "available" bigint NOT NULL,
  "reserved" bigint NOT NULL,
  "shipped" bigint NOT NULL DEFAULT 0,
  "initial" bigint NOT NULL DEFAULT 0,
  "updated_at" timestamptz,
  PRIMARY KEY ("sku")
);
CREATE TABLE IF NOT EXISTS "reservations" (
  "order_id" varchar(64),
  "status" varchar(16),
  "mode" varchar(16),
  "reason" varchar(512),
  "approved" boolean NOT NULL DEFAULT false,
  "created_at" timestamptz,
  "updated_at" timestamptz,
  PRIMARY KEY ("order_id")
);
CREATE INDEX IF NOT EXISTS "idx_reservations_status" ON "reservations" ("status");
CREATE TABLE IF NOT EXISTS "reservation_lines" (
  "order_id" varchar(64),
  "sku" varchar(64),
  "quantity" bigint NOT NULL,
  PRIMARY KEY ("order_id","sku"),
  CONSTRAINT "fk_reservations_lines" FOREIGN KEY ("order_id") REFERENCES "reservations"("order_id") ON DELETE CASCADE
);

-- +goose Down
DROP TABLE IF EXISTS "reservation_lines";
DROP TABLE IF EXISTS "reservations";
DROP TABLE IF EXISTS "stocks";
