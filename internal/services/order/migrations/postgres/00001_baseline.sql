-- The order service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS "orders" (
  "id" varchar(64),
  "customer_id" varchar(64),
  "status" varchar(16),
  "mode" varchar(16),
  "reason" varchar(512),
  "total" bigint NOT NULL,
  "tombstone" boolean NOT NULL DEFAULT false,
  "created_at" timestamptz,
  "updated_at" timestamptz,
  "progress_at" timestamptz,
  PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "idx_orders_created_at" ON "orders" ("created_at");
CREATE INDEX IF NOT EXISTS "idx_orders_customer_id" ON "orders" ("customer_id");
CREATE INDEX IF NOT EXISTS "idx_orders_status" ON "orders" ("status");
CREATE TABLE IF NOT EXISTS "lines" (
  "order_id" varchar(64),
  "sku" varchar(64),
  "quantity" bigint NOT NULL,
  "unit_price" bigint NOT NULL,
  PRIMARY KEY ("order_id","sku"),
  CONSTRAINT "fk_orders_lines" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "products" (
  "sku" varchar(64),
  "name" varchar(128),
  "price" bigint NOT NULL,
  PRIMARY KEY ("sku")
);
CREATE TABLE IF NOT EXISTS "customers" (
  "id" varchar(64),
  "name" varchar(128),
  PRIMARY KEY ("id")
);

-- +goose Down
DROP TABLE IF EXISTS "customers";
DROP TABLE IF EXISTS "products";
DROP TABLE IF EXISTS "lines";
DROP TABLE IF EXISTS "orders";
