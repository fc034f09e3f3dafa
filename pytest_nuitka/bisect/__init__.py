"""Find the release of a package that changed what the compiled binary does."""
