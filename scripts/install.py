"""Install the rendered command into Claude Code's user or project commands directory.

Usage::

    python -m scripts.install                    # user scope: ~/.claude/commands/
    python -m scripts.install --project PATH     # project scope: PATH/.claude/commands/
    python -m scripts.install --force            # overwrite a different existing file
    python -m scripts.install --uninstall [--project PATH] [--force]

User scope honours ``CLAUDE_CONFIG_DIR`` (then ``$CLAUDE_CONFIG_DIR/commands/``) like Claude
Code does. Installing is idempotent; an existing file with other content (another version,
or a local edit) is never overwritten or removed without ``--force``. The committed render
must be current: install what the definition says, not a stale copy.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from evals.checklist import ChecklistError
from scripts.definition import (
    COMMAND_NAME,
    RENDERED_PATH,
    DefinitionError,
    split_frontmatter,
)
from scripts.render import RenderError, is_stale, render_claude_command


class InstallError(Exception):
    """The command cannot be installed or uninstalled as asked."""


def user_commands_dir(env: Mapping[str, str]) -> Path:
    """Return Claude Code's user-scope commands directory for the environment ``env``."""
    config_dir = env.get("CLAUDE_CONFIG_DIR")
    base = Path(config_dir).expanduser() if config_dir else Path.home() / ".claude"
    return base / "commands"


def target_path(project: Path | None, env: Mapping[str, str]) -> Path:
    """Return where the command file goes: the user scope, or ``project``'s ``.claude/``.

    Raises:
        InstallError: If ``project`` is given but is not an existing directory.
    """
    if project is None:
        return user_commands_dir(env) / f"{COMMAND_NAME}.md"
    if not project.is_dir():
        raise InstallError(f"project directory not found: {project}")
    return project / ".claude" / "commands" / f"{COMMAND_NAME}.md"


def current_render(rendered: Path = RENDERED_PATH) -> str:
    """Return the committed rendered command after checking that it is current.

    Raises:
        InstallError: If the committed render is missing or stale.
    """
    fresh = render_claude_command()
    if is_stale(rendered, fresh):
        raise InstallError(
            f"{rendered} is missing or stale; run `make render` (python -m scripts.render) first"
        )
    return fresh


def describe(text: str) -> str:
    """Return which version of the command ``text`` claims to be, for messages."""
    try:
        meta, _ = split_frontmatter(text, Path("installed file"))
    except DefinitionError:
        return "a file without command frontmatter"
    return f"version {meta.get('version', 'unknown')}"


def _existing(target: Path) -> str | None:
    if not target.exists():
        return None
    if not target.is_file():
        raise InstallError(f"{target} exists and is not a file")
    return target.read_text(encoding="utf-8", errors="replace")


def _refuse(target: Path, existing: str, content: str, action: str) -> InstallError:
    return InstallError(
        f"{target} differs from this command ({describe(existing)} installed, "
        f"{describe(content)} here); re-run with --force to {action} it"
    )


def _write_atomically(target: Path, content: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(content, encoding="utf-8")
    os.replace(temporary, target)


def install(content: str, target: Path, *, force: bool) -> str:
    """Install ``content`` at ``target``; return what happened (installed/unchanged/replaced).

    Raises:
        InstallError: If a different file is there and ``force`` is false.
    """
    existing = _existing(target)
    if existing == content:
        return "already installed, unchanged"
    if existing is not None and not force:
        raise _refuse(target, existing, content, "overwrite")
    _write_atomically(target, content)
    return "installed" if existing is None else f"replaced ({describe(existing)} before)"


def uninstall(content: str, target: Path, *, force: bool) -> str:
    """Remove the command at ``target``; return what happened.

    Raises:
        InstallError: If the file there differs from this command and ``force`` is false.
    """
    existing = _existing(target)
    if existing is None:
        return "not installed, nothing to remove"
    if existing != content and not force:
        raise _refuse(target, existing, content, "remove")
    target.unlink()
    return "removed"


def usage_hint(project: Path | None) -> str:
    """Return how to use the installed command, in Claude Code and headless."""
    where = f"a Claude Code session opened in {project}" if project else "any Claude Code session"
    return (
        f"Use it in {where} (start a new session if it is not listed yet):\n"
        f"  /{COMMAND_NAME} tech-design.md\n"
        "Headless (slash commands are interactive only), from this repository:\n"
        "  .venv/bin/python -m scripts.render --tech-design tech-design.md | claude -p\n"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.install", description=__doc__)
    parser.add_argument("--project", type=Path, metavar="PATH", help="install into a project")
    parser.add_argument("--force", action="store_true", help="overwrite or remove a different file")
    parser.add_argument("--uninstall", action="store_true", help="remove the installed command")
    return parser


def _run(args: argparse.Namespace) -> str:
    content = current_render()
    target = target_path(args.project, os.environ)
    if args.uninstall:
        return f"{uninstall(content, target, force=args.force)}: {target}\n"
    outcome = install(content, target, force=args.force)
    return f"{outcome}: {target} ({describe(content)})\n{usage_hint(args.project)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a refusal or error is one line on stderr and exit status 1."""
    args = _parser().parse_args(argv)
    try:
        sys.stdout.write(_run(args))
    except (InstallError, RenderError, DefinitionError, ChecklistError, OSError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
