-- The purchase list reads orders newest first, a page at a time, narrowed
-- by mode, status or customer: an index per filter that leads with it and
-- goes on in creation order serves each page from its first rows. The
-- single-column status and customer indexes are their prefixes.

-- +goose Up
CREATE INDEX IF NOT EXISTS `idx_orders_mode_created_at` ON `orders` (`mode`, `created_at`);
CREATE INDEX IF NOT EXISTS `idx_orders_status_created_at` ON `orders` (`status`, `created_at`);
CREATE INDEX IF NOT EXISTS `idx_orders_customer_created_at` ON `orders` (`customer_id`, `created_at`);
DROP INDEX IF EXISTS `idx_orders_status`;
DROP INDEX IF EXISTS `idx_orders_customer_id`;

-- +goose Down
CREATE INDEX IF NOT EXISTS `idx_orders_customer_id` ON `orders` (`customer_id`);
CREATE INDEX IF NOT EXISTS `idx_orders_status` ON `orders` (`status`);
DROP INDEX IF EXISTS `idx_orders_customer_created_at`;
DROP INDEX IF EXISTS `idx_orders_status_created_at`;
DROP INDEX IF EXISTS `idx_orders_mode_created_at`;
