"""Installing the rendered command, in a real subprocess with a temporary HOME."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts.definition import COMMAND_NAME, RENDERED_PATH
from scripts.install import install, uninstall, user_commands_dir
from tests.command.conftest import run_module

RENDERED = RENDERED_PATH.read_text(encoding="utf-8")


def user_target(env: dict[str, str]) -> Path:
    return Path(env["HOME"]) / ".claude" / "commands" / f"{COMMAND_NAME}.md"


def install_cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = run_module("scripts.install", *args, env=env)
    return result.returncode, result.stdout, result.stderr


def test_user_install_is_idempotent_and_prints_usage(home_env: dict[str, str]) -> None:
    first = install_cli(home_env)
    second = install_cli(home_env)
    assert first[0] == 0, first[2]
    assert first[1].startswith("installed: ")
    assert f"/{COMMAND_NAME} tech-design.md" in first[1]
    assert "claude -p" in first[1]
    assert second[0] == 0
    assert second[1].startswith("already installed, unchanged: ")
    assert user_target(home_env).read_text(encoding="utf-8") == RENDERED


def test_a_different_file_is_kept_without_force(home_env: dict[str, str]) -> None:
    target = user_target(home_env)
    target.parent.mkdir(parents=True)
    target.write_text("my own command\n", encoding="utf-8")
    code, stdout, stderr = install_cli(home_env)
    assert code == 1
    assert stdout == ""
    assert len(stderr.splitlines()) == 1
    assert "--force" in stderr
    assert target.read_text(encoding="utf-8") == "my own command\n"


def test_force_replaces_a_different_file(home_env: dict[str, str]) -> None:
    target = user_target(home_env)
    target.parent.mkdir(parents=True)
    target.write_text(RENDERED.replace("version: ", "version: 0.", 1), encoding="utf-8")
    code, stdout, _ = install_cli(home_env, "--force")
    assert code == 0
    assert stdout.startswith("replaced (version 0.")
    assert target.read_text(encoding="utf-8") == RENDERED


def test_uninstall_removes_only_this_command(home_env: dict[str, str]) -> None:
    assert install_cli(home_env)[0] == 0
    removed = install_cli(home_env, "--uninstall")
    again = install_cli(home_env, "--uninstall")
    assert removed[0] == again[0] == 0
    assert removed[1].startswith("removed: ")
    assert again[1].startswith("not installed")
    assert not user_target(home_env).exists()


def test_uninstall_keeps_a_modified_file_without_force(home_env: dict[str, str]) -> None:
    target = user_target(home_env)
    assert install_cli(home_env)[0] == 0
    target.write_text(RENDERED + "local edit\n", encoding="utf-8")
    refused = install_cli(home_env, "--uninstall")
    assert refused[0] == 1
    assert target.exists()
    forced = install_cli(home_env, "--uninstall", "--force")
    assert forced[0] == 0
    assert not target.exists()


def test_project_install_goes_into_the_project(home_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "service"
    project.mkdir()
    code, stdout, stderr = install_cli(home_env, "--project", str(project))
    assert code == 0, stderr
    target = project / ".claude" / "commands" / f"{COMMAND_NAME}.md"
    assert target.read_text(encoding="utf-8") == RENDERED
    assert str(project) in stdout
    assert not user_target(home_env).exists()


def test_missing_project_is_a_one_line_error(home_env: dict[str, str], tmp_path: Path) -> None:
    code, _, stderr = install_cli(home_env, "--project", str(tmp_path / "absent"))
    assert code == 1
    assert stderr.splitlines() == [f"error: project directory not found: {tmp_path / 'absent'}"]


def test_claude_config_dir_is_honoured(home_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "claude-config"
    code, _, stderr = install_cli(home_env | {"CLAUDE_CONFIG_DIR": str(config)})
    assert code == 0, stderr
    assert (config / "commands" / f"{COMMAND_NAME}.md").is_file()
    assert user_commands_dir({"CLAUDE_CONFIG_DIR": str(config)}) == config / "commands"


def test_install_and_uninstall_functions(tmp_path: Path) -> None:
    target = tmp_path / "commands" / "command.md"
    assert install("v1\n", target, force=False) == "installed"
    assert install("v1\n", target, force=False) == "already installed, unchanged"
    assert uninstall("v1\n", target, force=False) == "removed"
    assert not target.parent.joinpath(".command.md.tmp").exists()


def test_shell_wrapper_passes_options_through(home_env: dict[str, str], tmp_path: Path) -> None:
    project = tmp_path / "via-wrapper"
    project.mkdir()
    wrapper = RENDERED_PATH.parents[2] / "scripts" / "install.sh"
    result = subprocess.run(
        [str(wrapper), "--project", str(project)],
        env=home_env | {"PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (project / ".claude" / "commands" / f"{COMMAND_NAME}.md").is_file()
    assert not user_target(home_env).exists()
