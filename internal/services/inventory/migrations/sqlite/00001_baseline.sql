-- The inventory service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS `stocks` (
  `sku` text,
  `name` text,
  `available` integer NOT NULL,
  `reserved` integer NOT NULL,
  `shipped` integer NOT NULL DEFAULT 0,
  `initial` integer NOT NULL DEFAULT 0,
  `updated_at` datetime,
  PRIMARY KEY (`sku`)
);
CREATE TABLE IF NOT EXISTS `reservations` (
  `order_id` text,
  `status` text,
  `mode` text,
  `reason` text,
  `approved` numeric NOT NULL DEFAULT false,
  `created_at` datetime,
  `updated_at` datetime,
  PRIMARY KEY (`order_id`)
);
CREATE INDEX IF NOT EXISTS `idx_reservations_status` ON `reservations`(`status`);
CREATE TABLE IF NOT EXISTS `reservation_lines` (
  `order_id` text,
  `sku` text,
  `quantity` integer NOT NULL,
  PRIMARY KEY (`order_id`,`sku`),
  CONSTRAINT `fk_reservations_lines` FOREIGN KEY (`order_id`) REFERENCES `reservations`(`order_id`) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE IF EXISTS `reservation_lines`;
DROP TABLE IF EXISTS `reservations`;
DROP TABLE IF EXISTS `stocks`;
