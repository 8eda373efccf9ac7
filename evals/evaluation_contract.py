"""The evaluation contract's values, read from ``evaluation_contract.yaml``.

The command's "Evaluation contract" section is rendered from the same file, so a convention
the harness relies on (where the app is, the health paths, the correlation header, the
Procfile, the Makefile targets) is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONTRACT_PATH = Path(__file__).with_name("evaluation_contract.yaml")


class EvaluationContractError(Exception):
    """``evaluation_contract.yaml`` is missing a value the harness needs."""


@dataclass(frozen=True)
class EvaluationContract:
    """The conventions a generated project follows so CI can run it.

    Attributes:
        data: The whole file, for the command's template.
        app_module: Module of the ASGI app, e.g. ``app.main``.
        app_attr: Attribute holding the app, e.g. ``app``.
        package_dir: Where the application package lives, e.g. ``src/app``.
        health_live: Liveness path.
        health_ready: Readiness path.
        correlation_header: The correlation-id header.
        procfile: The process contract's file name.
        procfile_web: The Procfile process the harness serves itself.
        make_targets: The Makefile targets.
        idempotence_env: The setting that switches the producer's idempotence.
    """

    data: dict[str, Any]
    app_module: str
    app_attr: str
    package_dir: str
    health_live: str
    health_ready: str
    correlation_header: str
    procfile: str
    procfile_web: str
    make_targets: tuple[str, ...]
    idempotence_env: str


def load_evaluation_contract(path: Path = CONTRACT_PATH) -> EvaluationContract:
    """Read the contract at ``path``.

    Raises:
        EvaluationContractError: If the file or one of its values is missing.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return EvaluationContract(
            data, data["app"]["module"], data["app"]["attribute"], data["app"]["package_dir"],
            data["health"]["live"], data["health"]["ready"], data["correlation_header"],
            data["procfile"]["file"], data["procfile"]["web"], tuple(data["make_targets"]),
            data["settings"]["kafka_idempotence"],
        )  # fmt: skip
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise EvaluationContractError(f"{path}: missing or invalid value: {exc}") from exc


EVALUATION = load_evaluation_contract()
