"""`python -m pytest_nuitka.cellcheck`: see :mod:`pytest_nuitka.matrix.cellcheck`."""

from pytest_nuitka.matrix.cellcheck import main

if __name__ == "__main__":
    raise SystemExit(main())
