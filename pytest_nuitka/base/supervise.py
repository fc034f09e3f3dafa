"""The supervisor that every child runs under (Linux), so that no process outlives its run.

Run by :func:`pytest_nuitka.base.process.run` as
``python -I -S supervise.py PARENT REPORT_FD ENV_FD -- ARGV...``. It is a process of its own
because pytest cannot keep these promises itself:

- it is a child subreaper (``PR_SET_CHILD_SUBREAPER``): an orphan anywhere below it (a daemon
  that double-forked, a compiler that left its session) is re-parented to it, not to init, so
  the whole tree stays findable and is killed when the direct child ends;
- it notices pytest's death even by SIGKILL (``PR_SET_PDEATHSIG``, and polling ``getppid``
  because the death signal follows the thread that forked) and then kills the tree;
- it closes its copies of the child's stdout and stderr, so they reach end-of-file the moment
  the tree is gone and nothing printed is lost waiting for a daemon.

Standard library only and no package import, so it starts in about 10 ms. It reports one line
on REPORT_FD: ``exit CODE MAXRSS_KB STOPPED`` or ``error ERRNO``.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

TYPE_CHECKING = False  # not typing's: importing typing takes longer than all the rest
if TYPE_CHECKING:
    import signal
else:  # the same functions without the enum module: 5 ms less to start
    import _signal as signal

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}  # from pytest, or pytest's death
WATCHED = {signal.SIGCHLD, *STOP}
POLL = 1.0  # seconds between getppid checks
GIVE_UP = 10.0  # seconds to wait for a killed tree to go (a process stuck in the kernel stays)


def descendants(pid: int) -> list[int]:
    """Children of ``pid`` at any depth (also those in new sessions), through /proc."""
    top = _children_files(pid)
    if top is not None:
        found, todo = list(top), list(top)
        while todo:
            for child in _children_files(todo.pop()) or []:
                found.append(child)
                todo.append(child)
        return found
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _read(f"/proc/{name}/stat")
            if stat:
                children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _children_files(pid: int) -> list[int] | None:
    """The kernel's own child lists (CONFIG_PROC_CHILDREN), one per thread; None where the
    kernel keeps none, [] for a process that has gone."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as file:
                found += [int(word) for word in file.read().split()]
        except FileNotFoundError:
            if os.path.exists(f"/proc/{pid}/task/{task}/stat"):
                return None
        except OSError:
            continue  # the thread or the process ended
    return found


def _read(path: str) -> str:
    try:
        with open(path) as file:
            return file.read()
    except OSError:
        return ""


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan waits for its reaper)."""
    stat = _read(f"/proc/{pid}/stat")
    return bool(stat) and stat.rsplit(")", 1)[1].split()[0] != "Z"


class Supervisor:
    def __init__(self, parent: int, report_fd: int) -> None:
        self.parent = parent
        self.report_fd = report_fd
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.child = 0
        # exit code, peak memory in kB, CPU seconds (user and system)
        self.result: tuple[int, int, float] | None = None

    def prctl(self, option: int, value: int) -> None:
        if self.libc.prctl(option, value, 0, 0, 0) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"prctl({option}): {os.strerror(error)}")

    def spawn(self, argv: list[str], env: dict[str, str]) -> int:
        """Fork and exec the child in a session of its own; 0 or the errno exec failed with."""
        ready, failed = os.pipe()  # close-on-exec: end-of-file without a word means exec'd
        me = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 127
            try:
                os.close(ready)
                os.setsid()
                self.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # if the supervisor is SIGKILLed
                if os.getppid() != me:
                    os._exit(code)
                signal.pthread_sigmask(signal.SIG_SETMASK, ())
                for number in (signal.SIGPIPE, signal.SIGXFSZ):  # Python ignores these
                    signal.signal(number, signal.SIG_DFL)
                os.execvpe(argv[0], argv, env)
            except OSError as error:
                os.write(failed, str(error.errno or 0).encode())
            finally:
                os._exit(code)
        os.close(failed)
        with os.fdopen(ready, "rb") as pipe:
            word = pipe.read()
        self.child = pid
        if word:
            os.waitpid(pid, 0)
            return int(word)
        return 0

    def reap(self) -> bool:
        """Reaps whatever has ended; False once no child at all is left (and so, since this
        process is the subreaper, no descendant either)."""
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.child:
                cpu = usage.ru_utime + usage.ru_stime
                self.result = (os.waitstatus_to_exitcode(status), usage.ru_maxrss, cpu)

    def kill_tree(self) -> None:
        deadline = time.monotonic() + GIVE_UP
        while self.reap() and time.monotonic() < deadline:
            for pid in descendants(os.getpid()):
                try:  # noqa: SIM105 (contextlib costs milliseconds to import)
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass  # gone meanwhile
            signal.sigtimedwait({signal.SIGCHLD}, 0.05)

    def watch(self) -> bool:
        """Waits for the child to end; True if told to stop (or pytest died) first."""
        while self.result is None:
            got = signal.sigtimedwait(WATCHED, POLL)
            if os.getppid() != self.parent or (got and got.si_signo in STOP):
                return True
            self.reap()
        return False

    def report(self, line: str) -> None:
        try:  # noqa: SIM105
            os.write(self.report_fd, line.encode())
        except OSError:
            pass  # pytest is gone


def read_env(fd: int) -> dict[str, str]:
    with os.fdopen(fd, "rb") as pipe:
        items = pipe.read().split(b"\0")
    env = {}
    for item in items:
        if item:
            name, _, value = item.partition(b"=")
            env[os.fsdecode(name)] = os.fsdecode(value)
    return env


def main(args: list[str]) -> None:
    parent, report_fd, env_fd, argv = int(args[0]), int(args[1]), int(args[2]), args[4:]
    os.set_inheritable(report_fd, False)  # a daemon holding it would stall pytest's read
    supervisor = Supervisor(parent, report_fd)
    supervisor.prctl(PR_SET_CHILD_SUBREAPER, 1)
    supervisor.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    if os.getppid() != parent:
        return  # pytest died before the death signal was armed
    env = read_env(env_fd)
    error = supervisor.spawn(argv, env)
    if error:
        supervisor.report(f"error {error}\n")
        return
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the streams must end with the tree, not with this process
        os.dup2(null, fd)
    stopped = supervisor.watch()
    supervisor.kill_tree()
    code, peak, cpu = supervisor.result or (-signal.SIGKILL, 0, 0.0)
    supervisor.report(f"exit {code} {peak} {int(stopped)} {cpu:.3f}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)  # nothing to tear down: 2 ms less per run
