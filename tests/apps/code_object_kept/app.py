"""The code_object app with the remedy applied: the function that is serialised by its code
object lives in a module left uncompiled (--nofollow-import-to=serialised), so its __code__
is real bytecode in the binary too."""

import marshal
import types

from serialised import scale

if __name__ == "__main__":
    restored = types.FunctionType(marshal.loads(marshal.dumps(scale.__code__)), globals())
    print(restored(3.0))
