"""The variants: the idiomatic baseline and one changed choice each.

A variant is a :class:`Choices` (what the app in :mod:`evals.perf_lab.service` does) with a
name and a one-line description. The choices travel to the served app as JSON in the
environment variable :data:`CHOICES_ENV`; the event loop and HTTP parser are uvicorn options.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

CHOICES_ENV = "EVALS_PERF_LAB_CHOICES"
DSN_ENV = "EVALS_PERF_LAB_DSN"
BASELINE = "idiomatic"
APP_FACTORY = "evals.perf_lab.service.app:from_env"


@dataclass(frozen=True)
class Choices:
    """What the served app does on ``GET /items/{id}``.

    Attributes:
        orm: Load the ORM entity (``session.get``); else a Core select of the needed columns.
        validations: 1: the response model validates the returned object once; 2: the
            service calls ``model_validate`` and the response model validates again.
        transaction: One explicit transaction per read (``session.begin()``); else an
            ``AUTOCOMMIT`` engine and no ``begin`` (no BEGIN/COMMIT round trips).
        access_log: A pure ASGI middleware writing one JSON access-log line per request.
        base_http: The request-id middleware is a ``BaseHTTPMiddleware`` (else pure ASGI).
        pool_size: SQLAlchemy pool size (no overflow).
        uvloop: uvicorn with ``--loop uvloop --http httptools``; else asyncio and h11.
        relay: A background task polls an outbox table every 0.5 s (in-process relay).
    """

    orm: bool = True
    validations: int = 1
    transaction: bool = True
    access_log: bool = False
    base_http: bool = False
    pool_size: int = 20
    uvloop: bool = True
    relay: bool = False

    def to_json(self) -> str:
        """The choices as JSON, for :data:`CHOICES_ENV`."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Choices:
        """The choices in ``text`` (from :meth:`to_json`); missing keys keep the defaults."""
        return cls(**json.loads(text)) if text else cls()

    def uvicorn_options(self) -> list[str]:
        """The uvicorn ``--loop`` and ``--http`` options for these choices."""
        if self.uvloop:
            return ["--loop", "uvloop", "--http", "httptools"]
        return ["--loop", "asyncio", "--http", "h11"]


@dataclass(frozen=True)
class Variant:
    """One measured app.

    Attributes:
        name: Short identifier (``--variants``).
        change: What differs from the baseline, for the table.
        choices: What the app does.
    """

    name: str
    change: str
    choices: Choices


def _variant(name: str, change: str, **changed: bool | int) -> Variant:
    """The baseline's choices with ``changed`` applied."""
    return Variant(name, change, replace(Choices(), **changed))  # type: ignore[arg-type]


VARIANTS: tuple[Variant, ...] = (
    Variant(BASELINE, "baseline: ORM entity, 1 validation, 1 tx, ASGI request-id, pool 20, uvloop",
            Choices()),
    _variant("core_select", "Core select of the 8 needed columns", orm=False),
    _variant("validate_twice", "model_validate in the service + response_model", validations=2),
    _variant("no_transaction", "AUTOCOMMIT engine, no session.begin()", transaction=False),
    _variant("access_log", "+ JSON access-log middleware (pure ASGI)", access_log=True),
    _variant("base_http_middleware", "request-id middleware as BaseHTTPMiddleware", base_http=True),
    _variant("pool_5", "pool size 5", pool_size=5),
    _variant("pool_64", "pool size 64", pool_size=64),
    _variant("asyncio_h11", "uvicorn --loop asyncio --http h11", uvloop=False),
    _variant("relay_polling", "+ in-process relay polling an outbox every 0.5 s", relay=True),
)  # fmt: skip


def select(names: list[str]) -> list[Variant]:
    """The baseline and the variants called ``names``, in registry order (all when empty).

    Raises:
        ValueError: If a name is not in :data:`VARIANTS`.
    """
    known = {variant.name for variant in VARIANTS}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"unknown variants {unknown}; known: {sorted(known)}")
    wanted = {BASELINE, *names}
    return [variant for variant in VARIANTS if not names or variant.name in wanted]
