DROP TABLE IF EXISTS render_deliveries;
DROP TABLE IF EXISTS render_delivery_targets;
