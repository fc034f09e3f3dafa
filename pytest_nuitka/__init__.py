"""Compile Python apps with Nuitka and test that the binary behaves like the script.

Kept free of imports so that apps can import :mod:`pytest_nuitka.emit` cheaply.
"""

__version__ = "0.1.0"
