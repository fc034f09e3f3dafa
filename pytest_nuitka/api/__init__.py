"""What a test holds: the session's ``Nuitka``, a compiled ``App``, the runs and round-trips it
drives, and the remedies a failure can be rebuilt with."""
