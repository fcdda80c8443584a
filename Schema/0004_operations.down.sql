DELETE FROM system_config WHERE key IN ('monitor.orphan_action', 'monitor.orphan_template');
ALTER TABLE service_registry DROP COLUMN unhealthy_since, DROP COLUMN health;
DROP TABLE notifications;
DROP TABLE monitor_events;
DROP TABLE hunter_runs;
