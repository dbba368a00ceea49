"""RunSpec: the validated description of a one-liner run (``loadpulse http``): the URLs or request mix,
the load and the timeouts. Scripted scenario runs are described by a
:class:`~loadpulse.scenario.model.Plan` instead (and cross process boundaries as a
:class:`~loadpulse.scenario.plan_ref.PlanRef`)."""

from __future__ import annotations

from typing import Annotated, Any, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loadpulse.bounds import (
    MAX_IN_FLIGHT,
    MAX_REQUESTS,
    MAX_VUS,
    check_count,
    check_h2_streams,
    check_rate,
    check_seconds,
)
from loadpulse.errors import BadInput
from loadpulse.protocols.http.request import check_framing_headers
from loadpulse.protocols.http.url import basic_auth

DEFAULT_DURATION_S = 10.0
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

T = TypeVar("T", bound=BaseModel)

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestSpec(_Frozen):
    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    name: str | None = None
    """Name the request's stats are kept under; defaults to 'METHOD path'."""
    weight: PositiveFloat = 1.0
    """Share of this request in a mix of several."""

    @model_validator(mode="before")
    @classmethod
    def _userinfo_as_basic_auth(cls, data: Any) -> Any:
        """``http://user:pass@host/`` is sent as ``Authorization: Basic …`` (as curl and k6 do), unless an
        Authorization header is given; the userinfo itself never goes on the wire."""
        if isinstance(data, dict) and "@" in str(data.get("url", "")):
            auth = basic_auth(str(data["url"]))
            headers = tuple(data.get("headers", ()))
            if auth and not any(str(h[0]).lower() == "authorization" for h in headers):
                data = {**data, "headers": (*headers, ("Authorization", auth))}
        return data

    @model_validator(mode="after")
    def _method(self) -> Self:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}: use one of {', '.join(METHODS)}")
        check_framing_headers(self.headers, self.body)  # BadInput: a lying Content-Length hangs requests
        return self


class LoadSpec(_Frozen):
    connections: PositiveInt = 50
    requests: PositiveInt | None = None
    duration_s: PositiveFloat | None = None
    rate: PositiveFloat | None = None
    """Arrivals per second (open model); None for the closed model."""
    max_in_flight: PositiveInt | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.requests is not None and self.duration_s is not None:
            raise ValueError("give either --requests or --duration, not both")
        if self.max_in_flight is not None and self.rate is None:
            raise ValueError("--max-in-flight only applies with --rate (open model)")
        # Bounds before the load: what one process cannot honour is refused, never attempted.
        if self.rate is not None:
            check_rate(self.rate, "--rate")
        if self.duration_s is not None:
            check_seconds(self.duration_s, "--duration")
        check_count(self.connections, "-c/--connections", MAX_VUS, spread=True)
        if self.max_in_flight is not None:
            check_count(self.max_in_flight, "--max-in-flight", MAX_IN_FLIGHT, spread=True)
        if self.requests is not None:
            check_count(self.requests, "--requests", MAX_REQUESTS)
        return self

    @property
    def open_model(self) -> bool:
        return self.rate is not None

    @property
    def effective_duration_s(self) -> float | None:
        """The run's length bound: the given duration, the default when nothing bounds the run, else None."""
        if self.duration_s is not None:
            return self.duration_s
        return DEFAULT_DURATION_S if self.requests is None else None

    @property
    def effective_connections(self) -> int:
        return min(self.connections, self.requests) if self.requests else self.connections

    @property
    def effective_max_in_flight(self) -> int:
        return self.max_in_flight or max(self.connections, 1000)


class TimeoutSpec(_Frozen):
    connect_s: PositiveFloat = 5.0
    read_s: PositiveFloat = 10.0
    total_s: PositiveFloat = 10.0


class RunSpec(_Frozen):
    requests: Annotated[tuple[RequestSpec, ...], Field(min_length=1)]
    """What is sent: one request, or a weighted mix sharing one origin."""
    load: LoadSpec = LoadSpec()
    timeouts: TimeoutSpec = TimeoutSpec()
    insecure: bool = False
    grace_s: Annotated[float, Field(ge=0)] = 2.0
    """How long in-flight requests may finish after the run stops sending."""
    interval_s: PositiveFloat = 1.0
    """Snapshot interval: the resolution of the time series and the live view."""
    http2: bool = False
    """Speak HTTP/2 (``--h2``): prior knowledge (h2c) on http://, ALPN "h2" on https://."""
    streams_per_connection: PositiveInt = 100
    """With ``http2``: streams in flight per connection (lowered to the server's MAX_CONCURRENT_STREAMS)."""

    @model_validator(mode="after")
    def _h2_bounds(self) -> Self:
        if self.http2:
            load = self.load
            check_h2_streams(
                load.effective_connections,
                self.streams_per_connection,
                load.effective_max_in_flight if load.open_model else None,
                spread=True,
                requests=load.requests,
            )
        return self

    @property
    def request(self) -> RequestSpec:
        """The first (for a one-liner, the only) request."""
        return self.requests[0]


def request_name(req: RequestSpec) -> str:
    return req.name or f"{req.method} {urlsplit(req.url).path or '/'}"


def validated(model: type[T], /, **values: object) -> T:
    """Build a spec model, turning pydantic's multi-line report into one BadInput line."""
    try:
        return model(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise BadInput(f"{where}: {msg}" if where else msg) from None
