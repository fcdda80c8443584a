UPDATE render_deliveries SET status = 'pending' WHERE status = 'dropped';
ALTER TABLE render_deliveries DROP CONSTRAINT render_deliveries_status_known;
ALTER TABLE render_deliveries ADD CONSTRAINT render_deliveries_status_check CHECK (status IN ('pending', 'delivered'));
