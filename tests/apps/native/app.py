"""An app that loads a native helper of its own with ctypes, as apps that wrap a C library do.
The helper needs a system library outside the manylinux policy (libgmp.so.10): the build
machine has it, another machine need not.

    python app.py
"""

import ctypes
from pathlib import Path

HERE = Path(__file__).resolve().parent

helper = ctypes.CDLL(str(HERE / "native" / "libgmpversion.so"))
helper.gmp_version_string.restype = ctypes.c_char_p
print("gmp", helper.gmp_version_string().decode())
