"""Local services (Kafka, PostgreSQL) started by the project itself."""
