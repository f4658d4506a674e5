"""Unit tests of the pure domain core."""
