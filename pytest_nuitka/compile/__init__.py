"""Compile: a script and its inputs -> a binary in the cache (the key, the compilers, what a
partial standalone dist ships uncompiled)."""
