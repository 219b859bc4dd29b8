-- The payment service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS `accounts` (
  `customer_id` text,
  `balance` integer NOT NULL,
  `initial` integer NOT NULL DEFAULT 0,
  `updated_at` datetime,
  PRIMARY KEY (`customer_id`)
);
CREATE TABLE IF NOT EXISTS `payments` (
  `order_id` text,
  `customer_id` text,
  `amount` integer NOT NULL,
  `status` text,
  `mode` text,
  `reason` text,
  `approved` numeric NOT NULL DEFAULT false,
  `created_at` datetime,
  `updated_at` datetime,
  PRIMARY KEY (`order_id`)
);
CREATE INDEX IF NOT EXISTS `idx_payments_customer_id` ON `payments`(`customer_id`);
CREATE INDEX IF NOT EXISTS `idx_payments_status` ON `payments`(`status`);
CREATE TABLE IF NOT EXISTS `pending_charges` (
  `order_id` text,
  `customer_id` text,
  `amount` integer NOT NULL,
  `created_at` datetime,
  PRIMARY KEY (`order_id`)
);

-- +goose Down
DROP TABLE IF EXISTS `pending_charges`;
DROP TABLE IF EXISTS `payments`;
DROP TABLE IF EXISTS `accounts`;
