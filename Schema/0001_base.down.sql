DROP TABLE activity_log;
DROP TABLE system_config;
