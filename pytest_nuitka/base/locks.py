"""Locks on the build cache between threads' processes, sessions and xdist workers: flock on
an open file, released when it closes. ``fcntl`` is imported where a lock is taken, so that
the plugin imports where there is none (Windows); ``host.unsupported`` says so first."""

from __future__ import annotations


def share(fd: int) -> None:
    """A shared lock: many may hold one, and none can take the lock alone meanwhile."""
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_SH)


def take(fd: int, wait: bool = False) -> bool:
    """The lock alone; without ``wait``, False at once while another holds it."""
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
