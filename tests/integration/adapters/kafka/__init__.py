"""Kafka adapter tests (real broker, real database)."""
