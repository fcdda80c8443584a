DROP TABLE service_registry;
