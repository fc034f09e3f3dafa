"""The model zoo: manifests (``nuitka-case.toml``), their conditions, baselines and checks."""
