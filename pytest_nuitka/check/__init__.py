"""Check: two runs compared (normalised text, failures, outputs, artifacts) under one
``Comparison``, and the known issue behind a difference."""
