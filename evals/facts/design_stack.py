"""The service as its design runs it, for the design-conformance items (full tier).

Separate from the app the other live checks probe, so the scenarios see only their own
traffic: a fresh database (migrated with ``alembic upgrade head``), a broker of its own
(with the embedded services: a second embedded broker) on which the harness creates every
topic of the case contract before anything of the project starts, the web app served by
the harness (it owns the address, so the Procfile's ``web`` line is not run), and every
other process of the project's ``Procfile`` (the process contract: for example ``relay``
and ``consumer``), each in the sandbox with ``DATABASE_URL`` and
``KAFKA_BOOTSTRAP_SERVERS``. Without a Procfile only the web app runs, and a note says so.
When the contract has consumed topics, the stack is ready once a consumer group is active.
:func:`build_stack` builds such a stack under a name: the resilience items build a second one,
with its broker behind a gate the harness controls (:mod:`evals.facts.broker_gate`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
from dataclasses import dataclass
from pathlib import Path

import honcho.environ

from evals.context import FactNotApplicable, Facts
from evals.contract import Contract
from evals.evaluation_contract import EVALUATION
from evals.facts.broker_gate import BrokerGate
from evals.facts.environment import INSTALLED_ENV
from evals.facts.inferred_contract import INFERRED_CONTRACT
from evals.facts.kafka_io import KafkaIOError, create_topics, wait_for_group
from evals.facts.server import (
    LIVE_SERVER,
    Launch,
    RunningServer,
    ServerLog,
    migrate,
    start,
    stop_process,
)
from evals.facts.services import (
    SERVICES,
    EmbeddedBroker,
    Services,
    relay_broker,
    start_embedded_broker,
)
from evals.procs import spawn
from evals.registry import FactKey, provides
from evals.sandbox import project_sandbox

PROCFILE = EVALUATION.procfile
WEB = EVALUATION.procfile_web
SETTLE_S = 2.0
GROUP_TIMEOUT_S = 30.0
NO_CONTRACT = "no case contract: pass --case NAME or --contract FILE"


class StackError(Exception):
    """The project's processes cannot be started as the process contract says."""


@dataclass
class ProjectProcess:
    """One Procfile process the harness started.

    Attributes:
        name: Its Procfile name.
        command: Its command line.
        log: Its combined output.
        process: The running process.
    """

    name: str
    command: str
    log: ServerLog
    process: asyncio.subprocess.Process


@dataclass
class DesignStack:
    """The running service the scenarios talk to.

    Attributes:
        contract: The case contract.
        server: The web app (against the stack's database and broker).
        bootstrap: The stack's broker as the harness reaches it.
        processes: The Procfile processes started besides the web app.
        notes: What the harness did differently from the contract, or observed.
        group: The consumer group that became active ("" when none did).
        control: How to restart its processes and broker (a stack built to be broken).
    """

    contract: Contract
    server: RunningServer
    bootstrap: str
    processes: tuple[ProjectProcess, ...] = ()
    notes: tuple[str, ...] = ()
    group: str = ""
    control: StackControl | None = None

    def logs(self) -> str:
        """The last lines of every process's output, for findings."""
        parts = [f"[{p.name}]\n{p.log.tail(8)}" for p in self.processes]
        return "\n".join([f"[web]\n{self.server.log.tail(8)}", *parts])


@dataclass
class StackControl:
    """What an experiment needs to break a stack and bring it back.

    Attributes:
        launch: How its processes were started (to start them again).
        broker: Its embedded broker (None with the user's broker).
        gate: Between the project's processes and the broker (None without the sandbox's
            relay: then nothing holds the project off while topics are re-created).
    """

    launch: Launch
    broker: EmbeddedBroker | None = None
    gate: BrokerGate | None = None


DESIGN_STACK: FactKey[DesignStack] = FactKey("design_stack")


def read_procfile(project: Path) -> dict[str, str]:
    """The processes of the project's ``Procfile`` (name → command); empty without one.

    Raises:
        StackError: If the Procfile cannot be read.
    """
    path = project / PROCFILE
    if not path.is_file():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StackError(f"cannot read {PROCFILE}: {exc}") from exc
    return dict(honcho.environ.parse_procfile(text).processes)


async def stack_broker(
    facts: Facts, services: Services, name: str, gated: bool = False
) -> tuple[Services, EmbeddedBroker | None, BrokerGate | None]:
    """``services`` with a broker of the stack's own (embedded services) or the user's.

    With ``gated``, the sandbox reaches an own broker through a :class:`BrokerGate`.
    """
    if not (services.embedded_broker and services.embedded_database):
        return services, None, None
    broker = await start_embedded_broker(facts, f"{name}-broker")
    gate = BrokerGate(broker.bootstrap) if services.forwards and gated else None
    if gate is not None:
        await gate.start()
        facts.cleanups.append(gate.stop)
    via = gate.address if gate is not None else ""
    forwards = await relay_broker(facts, broker.bootstrap, via) if services.forwards else ()
    env = {**services.env, "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap}
    replaced = dataclasses.replace(
        services, kafka_bootstrap=broker.bootstrap, env=env, forwards=forwards
    )
    return replaced, broker, gate


async def stack_launch(facts: Facts, services: Services, name: str) -> Launch:
    """Where and how the stack's processes run: fresh database, the stack's broker."""
    installed = await facts.get(INSTALLED_ENV)
    env = {**installed.env, **facts.options.env, **services.env, "PYTHONUNBUFFERED": "1"}
    env["DATABASE_URL"] = await services.fresh_database(name)
    sandbox = services.confine(await project_sandbox(facts))
    logdir = facts.options.workdir / name
    return Launch(facts.project, installed.python, env, logdir, facts, sandbox)


async def start_process(launch: Launch, name: str, command: str) -> ProjectProcess:
    """Start one Procfile process through ``sh -c`` (as honcho and foreman do)."""
    log = ServerLog(launch.logdir / f"{name}.log")
    argv = ["/bin/sh", "-c", command]
    process = await spawn(argv, launch.project, launch.env, launch.sandbox, merge_stderr=True)
    assert process.stdout is not None  # noqa: S101 - PIPE was requested by spawn
    pump = asyncio.ensure_future(log.pump(process.stdout))
    launch.facts.cleanups.append(lambda: stop_process(process, pump))
    return ProjectProcess(name, command, log, process)


def exited_notes(processes: tuple[ProjectProcess, ...]) -> list[str]:
    """A note for every process that has already exited."""
    return [
        f"Procfile process {p.name} ({shlex.quote(p.command)}) exited with code "
        f"{p.process.returncode}:\n{p.log.tail(10)}"
        for p in processes
        if p.process.returncode is not None
    ]


async def start_processes(launch: Launch) -> tuple[tuple[ProjectProcess, ...], list[str]]:
    """Start every Procfile process but ``web``; notes on what was not started or died."""
    commands = read_procfile(launch.project)
    if not commands:
        return (), [f"no {PROCFILE}: only the web app runs (the process contract names each)"]
    notes = [f"{PROCFILE} {WEB}: served by the harness"] if WEB in commands else []
    others = [(name, command) for name, command in commands.items() if name != WEB]
    processes = tuple([await start_process(launch, name, cmd) for name, cmd in others])
    await asyncio.sleep(SETTLE_S)
    return processes, notes + exited_notes(processes)


async def consumer_group(contract: Contract, bootstrap: str) -> tuple[str, list[str]]:
    """The consumer group that became active, waiting when the design consumes topics."""
    consumed = contract.with_role("consumed")
    if not consumed:
        return "", []
    group = await wait_for_group(bootstrap, consumed[0].group, GROUP_TIMEOUT_S)
    if group:
        return group, []
    return "", [f"no consumer group became active within {GROUP_TIMEOUT_S:g} s"]


async def stack_topics(bootstrap: str, contract: Contract) -> None:
    """Create the design's topics before anything of the project starts.

    Raises:
        FactNotApplicable: If the broker refuses.
    """
    try:
        await create_topics(bootstrap, [t.name for t in contract.topics])
    except KafkaIOError as exc:
        raise FactNotApplicable(str(exc)) from exc


async def build_stack(
    facts: Facts, contract: Contract, live: RunningServer, name: str, gated: bool = False
) -> DesignStack:
    """Topics first, then migrations, the Procfile processes and the web app.

    Args:
        facts: The run's facts.
        contract: The case contract.
        live: The run's app (its target is served again; its load gate is shared).
        name: Names the stack's database, broker log and log directory.
        gated: Whether the project reaches the broker through a gate the harness controls.

    Raises:
        FactNotApplicable: If the topics cannot be created or the web app does not start.
    """
    services, broker, gate = await stack_broker(facts, await facts.get(SERVICES), name, gated)
    await stack_topics(services.kafka_bootstrap, contract)
    launch = await stack_launch(facts, services, name)
    notes = list(await migrate(launch))
    processes, started = await start_processes(launch)
    server = await start(launch, live.target) if live.target else live
    if not server.up:
        raise FactNotApplicable(f"the {name} stack's web app did not start: {server.failure}")
    group, waited = await consumer_group(contract, services.kafka_bootstrap)
    server.gate = live.gate
    all_notes = (*notes, *started, *waited)
    control = StackControl(launch, broker, gate)
    return DesignStack(
        contract, server, services.kafka_bootstrap, processes, all_notes, group, control
    )


@provides(DESIGN_STACK)
async def design_stack(facts: Facts) -> DesignStack:
    """Start the stack (see the module docstring) while no load is being measured.

    Without a case contract, the contract inferred from the project is used
    (:mod:`evals.facts.inferred_contract`).

    Raises:
        FactNotApplicable: When no contract can be inferred, or the web app does not start.
    """
    given = facts.options.contract
    contract = given if given is not None else await facts.get(INFERRED_CONTRACT)
    live = await facts.get(LIVE_SERVER)
    async with live.gate.shared():
        return await build_stack(facts, contract, live, "design")
