"""Deployment artefacts (Dockerfile, compose, Kubernetes) checked offline: no engine, no cluster."""
