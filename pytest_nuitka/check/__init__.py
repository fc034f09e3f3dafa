"""Check: two runs compared (normalised text, failures, outputs, artifacts), round-trips, and
the known issue behind a difference."""
