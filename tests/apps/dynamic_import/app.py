"""Loads a plugin module by a name known only at run time, as plugin systems do: Nuitka cannot
see the import, so the module is not compiled in and must be found beside the source.

    python app.py plugin_upper hello
"""

import importlib
import sys

plugin = importlib.import_module(sys.argv[1])
print(plugin.transform(sys.argv[2]))
