"""Shared services every stage uses: errors, settings, the environment (versions, search paths,
variables), process supervision and the manylinux library policy. Imports nothing else of the
package."""
