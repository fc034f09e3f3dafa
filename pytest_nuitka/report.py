"""`python -m pytest_nuitka.report`: see :mod:`pytest_nuitka.matrix.report`."""

from pytest_nuitka.matrix.report import main

if __name__ == "__main__":
    raise SystemExit(main())
