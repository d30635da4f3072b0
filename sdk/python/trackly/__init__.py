"""Trackly Python SDK: trace LLM agents and export them over OTLP to a Trackly server.

    from trackly import Trackly
    trackly = Trackly(api_key="tk-...", feature="research-agent", environment="production")
    with trackly.trace(name="research_agent_run", user_id="user_123"):
        with trackly.span("retrieve_context"):
            ...

Everything public is re-exported here; the underscored modules are internal.
"""

from ._client import Trackly, __version__
from ._context import SpanContext, ThreadPoolExecutor, wrap
from ._observation import STATUSES, Observation
from ._serialize import Limits, to_jsonable

__all__ = [
    "Trackly",
    "Observation",
    "SpanContext",
    "ThreadPoolExecutor",
    "Limits",
    "STATUSES",
    "to_jsonable",
    "wrap",
    "__version__",
]
