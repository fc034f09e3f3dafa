# pytest_plugins may only be declared in the rootdir's conftest.
pytest_plugins = ["pytester"]
