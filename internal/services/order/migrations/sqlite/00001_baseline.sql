-- The order service's tables, as gorm's AutoMigrate made them before the
-- schema was versioned. IF NOT EXISTS leaves a database made then as it is.

-- +goose Up
CREATE TABLE IF NOT EXISTS `orders` (
  `id` text,
  `customer_id` text,
  `status` text,
  `mode` text,
  `reason` text,
  `total` integer NOT NULL,
  `tombstone` numeric NOT NULL DEFAULT false,
  `created_at` datetime,
  `updated_at` datetime,
  `progress_at` datetime,
  PRIMARY KEY (`id`)
);
CREATE INDEX IF NOT EXISTS `idx_orders_created_at` ON `orders`(`created_at`);
CREATE INDEX IF NOT EXISTS `idx_orders_customer_id` ON `orders`(`customer_id`);
CREATE INDEX IF NOT EXISTS `idx_orders_status` ON `orders`(`status`);
CREATE TABLE IF NOT EXISTS `lines` (
  `order_id` text,
  `sku` text,
  `quantity` integer NOT NULL,
  `unit_price` integer NOT NULL,
  PRIMARY KEY (`order_id`,`sku`),
  CONSTRAINT `fk_orders_lines` FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS `products` (
  `sku` text,
  `name` text,
  `price` integer NOT NULL,
  PRIMARY KEY (`sku`)
);
CREATE TABLE IF NOT EXISTS `customers` (
  `id` text,
  `name` text,
  PRIMARY KEY (`id`)
);

-- +goose Down
DROP TABLE IF EXISTS `customers`;
DROP TABLE IF EXISTS `products`;
DROP TABLE IF EXISTS `lines`;
DROP TABLE IF EXISTS `orders`;
