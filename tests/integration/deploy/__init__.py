"""The service as the container runs it, without a container engine."""
