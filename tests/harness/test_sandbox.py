"""The sandbox around the project's processes, probed by hostile fixture projects.

Fast tests run each probe (``tests/fixtures/projects/hostile/<name>/tests/test_probe.py``,
a script as well as a test) through :func:`evals.procs.run` in a real bubblewrap
sandbox; the slow ones score hostile projects end to end. Tests that need bubblewrap
skip, saying why, where it cannot make a sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals import sandbox as sandbox_module
from evals.cli import EXIT_TERMINATED, EXIT_USAGE, UsageError, parse_args, sandbox_mode
from evals.cli import run as cli_run
from evals.facts.env_manifest import verify_manifest
from evals.facts.environment import (
    dependency_fingerprint,
    envs_root,
    installer_sandbox,
    project_env,
)
from evals.facts.server import ServerLog
from evals.model import Status
from evals.procs import ProcResult, run
from evals.reports import FORMATS, render
from evals.runner import score_project
from evals.sandbox import (
    PIDS_ROOT,
    SANDBOX_HOME,
    SANDBOX_TMP,
    Forward,
    Limits,
    Sandbox,
    SandboxError,
    SandboxMode,
    TaskGroup,
    open_sandbox,
    probe_bwrap,
    redact,
)
from evals.workspace import copy_project
from tests.harness.fakes import hash_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "projects"
HOSTILE = FIXTURES / "hostile"
SECRET = "s3cr3t-" + uuid.uuid4().hex
PLANTED = "planted-" + uuid.uuid4().hex
MARKER = "evals-hostile-marker.txt"
OUTSIDE_TMP = Path("/var/tmp")  # noqa: S108 - on the read-only root, outside the private /tmp
ALLOWED_ENV = {
    *("PATH", "LANG", "LC_ALL", "TZ", "HOME", "TMPDIR", "VIRTUAL_ENV", "PYTHONPATH"),
    *("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "DATABASE_URL"),
}


async def make_sandbox(tmp_path: Path) -> Sandbox:
    """A real sandbox for a test (cache in ``tmp_path``); skips when bwrap cannot make one."""
    probed = await probe_bwrap()
    if isinstance(probed, str):
        pytest.skip(probed)
    return await open_sandbox(SandboxMode.AUTO, tmp_path / "scratch", tmp_path / "cache")


def hostile_copy(name: str, tmp_path: Path) -> Path:
    """A copy of the hostile fixture ``name`` that the sandbox may write."""
    return copy_project(HOSTILE / name, tmp_path / "work" / name)


async def run_probe(
    sandbox: Sandbox, project: Path, *args: str, timeout_s: float = 60.0
) -> ProcResult:
    """The fixture's probe script, run in ``sandbox`` with the project copy writable."""
    argv = [sys.executable, "tests/test_probe.py", *args]
    env = project_env(Path(sys.prefix), project, {})
    confined = sandbox.allowing(writable=[project])
    return await run(argv, cwd=project, env=env, timeout_s=timeout_s, sandbox=confined)


def command_lines() -> Iterator[str]:
    """The command lines of every process of the host, as text."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            yield cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")


def markers_left(*directories: Path) -> list[Path]:
    """The hostile writer's markers found in ``directories`` of the host."""
    return [d / MARKER for d in directories if (d / MARKER).exists()]


def plant_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME for the harness holding a planted secret file, and a secret variable."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "planted_secret.txt").write_text(PLANTED, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("EVALS_TEST_SECRET_TOKEN", SECRET)
    return home


# ---------------------------------------------------------------- without bubblewrap


def test_project_env_is_an_allow_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("SOMETHING_HARMLESS", "x")
    env = project_env(tmp_path / "venv", tmp_path / "project", {"DATABASE_URL": "postgresql://"})
    assert set(env) <= ALLOWED_ENV
    assert env["PATH"].split(os.pathsep) == [str(tmp_path / "venv" / "bin"), *env_tail()]
    assert env["DATABASE_URL"] == "postgresql://"


def env_tail() -> list[str]:
    """The system part of the project's PATH."""
    return ["/usr/local/bin", "/usr/bin", "/bin"]


def test_installers_see_the_tool_area_read_only(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    building, tools = cache / "envs" / ".build-key-1", cache / "tools"
    sandbox = installer_sandbox(Sandbox(bwrap=Path("/bwrap")), tmp_path / "project", building)
    mounts = {mount.target: mount.writable for mount in sandbox.mounts}
    assert mounts[tools] is False  # uv there is replaced by no project's install
    assert mounts[building] is True and mounts[cache / "downloads"] is True
    assert cache not in mounts and cache / "envs" not in mounts


def test_sandbox_environment_drops_credential_names() -> None:
    env = {"GITHUB_TOKEN": "a", "MY_API_KEY": "b", "GH_X": "c", "PATH": "/bin", "HOME": "/x"}
    kept = Sandbox(home=SANDBOX_HOME).environment(env)
    assert kept == {"PATH": "/bin", "HOME": str(SANDBOX_HOME)}


def test_redaction_hides_secret_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALS_TEST_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("AWS_SHORT", "abc")
    monkeypatch.setenv("HARMLESS_NAME", "harmless-value")
    text = f"token {SECRET} short abc harmless-value"
    assert redact(text) == "token *** short abc harmless-value"


async def test_run_redacts_captured_output(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVALS_TEST_SECRET_TOKEN", SECRET)
    result = await run(["/bin/sh", "-c", f"echo {SECRET}; echo {SECRET} >&2"], cwd=tmp_path)
    assert SECRET not in result.stdout + result.stderr
    assert result.stdout.strip() == "***"


async def test_server_log_redacts_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EVALS_TEST_SECRET_TOKEN", SECRET)
    stream = asyncio.StreamReader()
    for part in (f"start {SECRET[:5]}", f"{SECRET[5:]} end\n", f"tail {SECRET}"):
        stream.feed_data(part.encode())
    stream.feed_eof()
    log = ServerLog(tmp_path / "server.log")
    await log.pump(stream)
    assert log.text() == "start *** end\ntail ***"


def test_bwrap_command_confines_everything(tmp_path: Path) -> None:
    base = Sandbox(bwrap=Path("/bwrap"), masked=(Path("/root"),))
    argv = base.allowing(writable=[tmp_path]).command(["python", "-V"], tmp_path)
    joined = " ".join(argv)
    assert "--ro-bind / / --dev /dev --proc /proc --ro-bind /proc/sys /proc/sys" in joined
    assert "--tmpfs /tmp --tmpfs /run --tmpfs /root" in joined
    assert f"--bind {tmp_path} {tmp_path}" in joined
    for option in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert option in argv
    assert argv[-3:] == ["--", "python", "-V"]
    assert "--unshare-net" not in base.allowing(network=True).command(["x"], tmp_path)


def test_forwarded_ports_start_the_relay(tmp_path: Path) -> None:
    socket_path = tmp_path / "broker.sock"
    socket_path.touch()
    sandbox = Sandbox(bwrap=Path("/bwrap")).allowing(forwards=[Forward(9092, socket_path)])
    argv = sandbox.command(["pytest"], tmp_path)
    assert f"127.0.0.1:9092={socket_path}" in argv
    assert argv[-2:] == ["--", "pytest"]


def test_sandbox_flags() -> None:
    assert sandbox_mode(parse_args(["score", "p", "--no-sandbox"]), {}) is SandboxMode.OFF
    assert sandbox_mode(parse_args(["score", "p"]), {"CI": "true"}) is SandboxMode.REQUIRE
    assert sandbox_mode(parse_args(["score", "p"]), {}) is SandboxMode.AUTO
    with pytest.raises(UsageError):
        parse_args(["score", "p", "--no-sandbox", "--require-sandbox"])


async def test_missing_sandbox_is_an_error_unless_unconfined_is_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sandbox_module._PROBED, "bwrap", "bubblewrap not found")
    with pytest.raises(SandboxError, match="--no-sandbox"):
        await open_sandbox(SandboxMode.REQUIRE, tmp_path, tmp_path / "cache")
    unconfined = await open_sandbox(SandboxMode.OFF, tmp_path, tmp_path / "cache")
    assert unconfined.describe().startswith("none (--no-sandbox")


def test_cli_without_a_sandbox_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sandbox_module._PROBED, "bwrap", "bubblewrap not found")
    project = str(FIXTURES / "syntax_error")
    code = cli_run(["score", project, "--tier", "static", "--no-progress", "--require-sandbox"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.count("\n") == 1
    assert "bubblewrap not found" in err


# ---------------------------------------------------------------- probes in bubblewrap


async def test_probe_sees_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = plant_home(tmp_path, monkeypatch)
    sandbox = await make_sandbox(tmp_path)
    project = hostile_copy("leaky_env", tmp_path)
    env_with_secret = str(home / "planted_secret.txt")
    result = await run_probe(sandbox, project, env_with_secret)
    assert result.ok, result.tail()
    assert "PATH=" in result.stdout  # the probe ran and printed what it found
    assert SECRET not in result.stdout and "EVALS_TEST_SECRET_TOKEN" not in result.stdout
    assert PLANTED not in result.stdout


@contextlib.contextmanager
def decoy(original: Path) -> Iterator[None]:
    """A host process naming ``original`` on its command line, as the harness's CLI does."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(original)])
    try:
        yield
    finally:
        process.kill()
        process.wait()


def test_the_users_real_home_is_hidden_when_home_points_elsewhere(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    real = Path(pwd.getpwuid(os.getuid()).pw_dir).resolve()
    assert sandbox_module._masked_home() == (() if real == Path("/") else (real,))


async def test_probe_writes_only_inside_the_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = plant_home(tmp_path, monkeypatch)
    sandbox = await make_sandbox(tmp_path)
    original = copy_project(HOSTILE / "writer", tmp_path / "original")
    outside = OUTSIDE_TMP / f"evals-{uuid.uuid4().hex}"
    outside.mkdir(parents=True)
    before = hash_tree(original)
    with decoy(original):
        project = hostile_copy("writer", tmp_path)
        result = await run_probe(sandbox, project, str(original), str(outside))
    assert result.ok, result.tail()
    assert hash_tree(original) == before
    assert not markers_left(SANDBOX_TMP, home)
    assert not any(outside.iterdir())
    outside.rmdir()


async def test_detached_children_die_with_the_sandbox(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    marker = f"evals-sleeper-{uuid.uuid4().hex}"
    started = time.monotonic()
    result = await run_probe(sandbox, hostile_copy("detached", tmp_path), marker, timeout_s=15)
    assert result.ok, result.tail()
    assert time.monotonic() - started < 10
    await asyncio.sleep(0.5)
    assert not [line for line in command_lines() if marker in line]


async def test_no_connection_reaches_the_host(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = await run_probe(sandbox, hostile_copy("network", tmp_path), str(port))
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.ok, result.tail()
    assert result.stdout.startswith("refused"), result.stdout


async def test_cached_environments_are_read_only(tmp_path: Path) -> None:
    site_packages = tmp_path / "cache" / "envs" / "abc" / "lib" / "python3.11" / "site-packages"
    site_packages.mkdir(parents=True)
    sandbox = await make_sandbox(tmp_path)
    result = await run_probe(sandbox, hostile_copy("pth_writer", tmp_path), str(site_packages))
    assert result.ok, result.tail()
    assert result.stdout.strip() == "WRITTEN []"
    assert not list(site_packages.iterdir())


async def test_a_huge_mapping_fails(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    argv = [sys.executable, "-c", "import mmap; mmap.mmap(-1, 20 << 30)"]
    result = await run(argv, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, sandbox=sandbox)
    assert result.returncode != 0
    assert "MemoryError" in result.stderr or "Cannot allocate" in result.stderr


async def test_kernel_settings_and_host_sockets_are_out_of_reach(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    script = "echo evil > /proc/sys/kernel/hostname; ls -A /run; echo done"
    result = await run(["/bin/sh", "-c", script], cwd=tmp_path, timeout_s=30, sandbox=sandbox)
    assert "Read-only file system" in result.stderr
    assert result.stdout == "done\n"  # an empty /run: no host daemon's socket


async def test_a_fork_bomb_hits_the_task_limit(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    probe = TaskGroup(Limits())
    if probe.path is None:
        pytest.skip(f"no pids cgroup can be made under {PIDS_ROOT}")
    probe.remove()
    small = dataclasses.replace(sandbox, limits=Limits(tasks=50))
    script = "for i in $(seq 1 100); do sleep 5 & done; wait"
    result = await run(["/bin/sh", "-c", script], cwd=tmp_path, timeout_s=30, sandbox=small)
    assert "fork" in result.stderr.lower(), result.stderr[-300:]


def test_installers_keep_their_credentials() -> None:
    env = {"POETRY_HTTP_BASIC_CORP_PASSWORD": "p", "GITHUB_TOKEN": "t"}
    kept = Sandbox(kept_env=("POETRY_",)).environment(env)
    assert "POETRY_HTTP_BASIC_CORP_PASSWORD" in kept and "GITHUB_TOKEN" not in kept


async def test_a_timeout_kills_the_whole_sandbox(tmp_path: Path) -> None:
    sandbox = await make_sandbox(tmp_path)
    marker = f"evals-timeout-{uuid.uuid4().hex}"
    sleeper = f"{sys.executable} -c 'import time; time.sleep(300)' {marker}"
    script = f"(setsid {sleeper} &); {sleeper}"
    started = time.monotonic()
    result = await run(["/bin/sh", "-c", script], cwd=tmp_path, timeout_s=2, sandbox=sandbox)
    assert result.timed_out and time.monotonic() - started < 8
    await asyncio.sleep(0.5)
    assert not [line for line in command_lines() if marker in line]


# ---------------------------------------------------------------- end to end


@pytest.mark.slow
async def test_hostile_project_leaks_nothing_into_any_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eval_cache_dir: Path
) -> None:
    plant_home(tmp_path, monkeypatch)
    await make_sandbox(tmp_path)
    project = HOSTILE / "leaky_env"
    result = await score_project(project, select=["tests.pass"], cache_dir=eval_cache_dir)
    assert result.sandbox.startswith("bwrap")
    assert result.by_id("tests.pass").status is Status.FAIL  # it printed the environment
    for name in FORMATS:
        report = render(name, result)
        assert SECRET not in report and PLANTED not in report, name


@pytest.mark.slow
async def test_hostile_children_neither_survive_nor_stretch_the_timeout(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    await make_sandbox(tmp_path)
    project = HOSTILE / "detached"
    started = time.monotonic()
    result = await score_project(
        project, select=["tests.pass"], cache_dir=eval_cache_dir, timeout_s=15
    )
    assert result.by_id("tests.pass").status is Status.PASS
    assert result.by_id("tests.pass").duration_s < 15 + 10
    assert time.monotonic() - started < 600
    await asyncio.sleep(0.5)
    assert not [line for line in command_lines() if "evals-hostile-sleeper" in line]


@pytest.mark.slow
async def test_a_test_run_cannot_write_the_cached_environment(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    await make_sandbox(tmp_path)
    project = HOSTILE / "pth_writer"
    first = await score_project(project, select=["tests.pass"], cache_dir=eval_cache_dir)
    assert first.by_id("tests.pass").status is Status.PASS  # every .pth write was refused
    final = envs_root(eval_cache_dir) / dependency_fingerprint(project)[:24]
    check = verify_manifest(final)
    assert check.ok, check.problem
    second = await score_project(project, select=["tests.pass"], cache_dir=eval_cache_dir)
    install = second.by_id("build.install").outcome.reason
    assert "cached environment verified" in install and "discarded" not in install, install


def _cli(project: Path, home: Path, cache: Path, *extra: str) -> subprocess.Popen[str]:
    """The CLI scoring ``project`` (so its command line names the original), HOME at ``home``."""
    argv = [sys.executable, "-m", "evals", "score", str(project), "--select", "tests.pass"]
    argv += ["--no-progress", "--cache-dir", str(cache), *extra]
    env = {**os.environ, "HOME": str(home)}
    return subprocess.Popen(
        argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
async def test_hostile_writes_reach_neither_the_original_nor_home(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    await make_sandbox(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    project = HOSTILE / "writer"
    before = hash_tree(project)
    cli = _cli(project, home, eval_cache_dir)
    _out, err = await asyncio.to_thread(cli.communicate, timeout=600)
    assert cli.returncode == 0, err
    assert hash_tree(project) == before
    assert not markers_left(SANDBOX_TMP, home)


def _test_run_workspace() -> Path | None:
    """The workspace of a running harness's hanging test run, from its command line."""
    for line in command_lines():
        if "--junitxml=" in line and "/evals-" in line:
            junit = line.split("--junitxml=")[1].split()[0]
            return Path(junit).parent.parent
    return None


@pytest.mark.slow
async def test_sigterm_kills_the_sandbox_and_removes_the_workspace(
    tmp_path: Path, eval_cache_dir: Path
) -> None:
    await make_sandbox(tmp_path)
    cli = _cli(FIXTURES / "hanging_tests", tmp_path, eval_cache_dir, "--timeout", "300")
    workspace = None
    for _ in range(600):
        workspace = _test_run_workspace()
        if workspace is not None or cli.poll() is not None:
            break
        await asyncio.sleep(0.5)
    assert workspace is not None, "the test run never started"
    cli.send_signal(signal.SIGTERM)
    _out, err = await asyncio.to_thread(cli.communicate, timeout=120)
    assert cli.returncode == EXIT_TERMINATED, err
    assert not workspace.exists()
    assert not [line for line in command_lines() if str(workspace) in line]
