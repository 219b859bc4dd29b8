-- The payment service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS "accounts" (
  "customer_id" varchar(64),
  "balance" bigint NOT NULL,
  "initial" bigint NOT NULL DEFAULT 0,
  "updated_at" timestamptz,
  PRIMARY KEY ("customer_id")
);
CREATE TABLE IF NOT EXISTS "payments" (
  "order_id" varchar(64),
  "customer_id" varchar(64),
  "amount" bigint NOT NULL,
  "status" varchar(16),
  "mode" varchar(16),
  "reason" varchar(512),
  "approved" boolean NOT NULL DEFAULT false,
  "created_at" timestamptz,
  "updated_at" timestamptz,
  PRIMARY KEY ("order_id")
);
CREATE INDEX IF NOT EXISTS "idx_payments_customer_id" ON "payments" ("customer_id");
CREATE INDEX IF NOT EXISTS "idx_payments_status" ON "payments" ("status");
CREATE TABLE IF NOT EXISTS "pending_charges" (
  "order_id" varchar(64),
  "customer_id" varchar(64),
  "amount" bigint NOT NULL,
  "created_at" timestamptz,
  PRIMARY KEY ("order_id")
);

-- +goose Down
DROP TABLE IF EXISTS "pending_charges";
DROP TABLE IF EXISTS "payments";
DROP TABLE IF EXISTS "accounts";
