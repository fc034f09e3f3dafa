"""Build: a script and its inputs -> a binary in the cache (key, footprint, the compilers)."""
