"""Turns arbitrary user values into JSON-safe values, never raising.

Captured inputs and outputs can be anything: ORM rows, sockets, generators, self-referencing graphs,
100 MB strings. The result is built only from dict/list/str/int/float/bool/None, bounded in depth,
items, string length and total nodes, so encoding it later cannot fail or blow up. json.dumps with a
`default=` hook cannot do this: it raises on cycles and has no size bounds.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import math
import pathlib
import uuid
from typing import Any, Dict, List, Optional

@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on one serialized value. Every field has a default."""

    max_depth: int = 20  # containers nested deeper become "<max depth>"
    max_items: int = 1000  # items kept per list/dict; the rest become one "<N more>" marker
    max_string_chars: int = 32_768  # longer strings are cut and marked
    max_nodes: int = 20_000  # values visited per serialized value; later ones become "<truncated>"


DEFAULT_LIMITS = Limits()


def to_jsonable(value: Any, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Returns a JSON-safe copy of `value` within `limits`. Never raises."""
    t = type(value)
    if t is str:
        return value if len(value) <= limits.max_string_chars else _cut(value, limits)
    if t is int or t is bool or value is None:
        return value
    if t is float:
        return value if math.isfinite(value) else repr(value)
    try:
        return _Walker(limits).walk(value, 0)
    except Exception:  # a bug here must not reach the user's code
        return _placeholder(value)


def _cut(s: str, limits: Limits) -> str:
    return s[: limits.max_string_chars] + f"…[{len(s) - limits.max_string_chars} chars truncated]"


def _placeholder(value: Any) -> str:
    try:
        return f"<unserializable {type(value).__qualname__}>"
    except Exception:
        return "<unserializable>"


class _Walker:
    """Not thread-safe; one per to_jsonable call. Recursion is bounded by Limits.max_depth."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.nodes = 0
        self.path: set = set()  # ids of the containers being walked, to detect cycles

    def walk(self, value: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            return "<truncated>"
        try:
            return self._convert(value, depth)
        except Exception:
            return _placeholder(value)

    def _convert(self, value: Any, depth: int) -> Any:
        limits = self.limits
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, str):
            return str(value) if len(value) <= limits.max_string_chars else _cut(str(value), limits)
        if isinstance(value, int) and not isinstance(value, enum.Enum):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else repr(float(value))
        if isinstance(value, enum.Enum):
            return self.walk(value.value, depth)
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            return value.isoformat()
        if isinstance(value, (uuid.UUID, decimal.Decimal, pathlib.PurePath, complex)):
            return str(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if len(raw) <= limits.max_string_chars:
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    return "base64:" + base64.b64encode(raw).decode("ascii")
            return f"<{len(raw)} bytes>"
        if isinstance(value, BaseException):
            return {"type": type(value).__qualname__, "message": str(value)}
        if depth >= limits.max_depth:
            return "<max depth>"
        key = id(value)
        if key in self.path:
            return "<cycle>"
        self.path.add(key)
        try:
            return self._container(value, depth)
        finally:
            self.path.discard(key)

    def _container(self, value: Any, depth: int) -> Any:
        if isinstance(value, dict):
            return self._mapping(value.items(), len(value), depth)
        if isinstance(value, (list, tuple, set, frozenset)):
            if hasattr(value, "_asdict"):  # namedtuple
                return self._mapping(value._asdict().items(), len(value), depth)
            return self._sequence(value, len(value), depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            return self._mapping(((f.name, getattr(value, f.name)) for f in fields), len(fields), depth)
        # Pydantic v2 / v1 and LangChain messages, duck-typed.
        for method in ("model_dump", "dict", "to_dict"):
            fn = getattr(value, method, None)
            if callable(fn) and not isinstance(value, type):
                try:
                    dumped = fn()
                except Exception:
                    continue
                if isinstance(dumped, dict):
                    return self._mapping(dumped.items(), len(dumped), depth)
        if hasattr(value, "items") and callable(value.items) and hasattr(value, "__len__"):
            return self._mapping(value.items(), len(value), depth)
        if hasattr(value, "__iter__") and hasattr(value, "__len__") and hasattr(value, "__getitem__"):
            return self._sequence(value, len(value), depth)  # sequences such as deque, array
        # Iterators, generators and coroutines are never consumed: that would change the program.
        attrs = getattr(value, "__dict__", None)
        if isinstance(attrs, dict) and attrs and not isinstance(value, type):
            public = {k: v for k, v in attrs.items() if not k.startswith("_")}
            if public:
                return self._mapping(public.items(), len(public), depth)
        text = repr(value)
        return text if len(text) <= self.limits.max_string_chars else _cut(text, self.limits)

    def _mapping(self, items: Any, size: int, depth: int) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        limit = self.limits.max_items
        for i, (k, v) in enumerate(items):
            if i >= limit:
                out["…"] = f"<{size - limit} more>"
                break
            out[k if isinstance(k, str) else str(self.walk(k, depth + 1))] = self.walk(v, depth + 1)
        return out

    def _sequence(self, values: Any, size: int, depth: int) -> List[Any]:
        out: List[Any] = []
        limit = self.limits.max_items
        for i, v in enumerate(values):
            if i >= limit:
                out.append(f"<{size - limit} more>")
                break
            out.append(self.walk(v, depth + 1))
        return out


def shallow_metadata(metadata: Optional[Dict[str, Any]], limits: Limits = DEFAULT_LIMITS) -> Dict[str, Any]:
    """A JSON-safe copy of a metadata mapping; scalar values are copied without a walk."""
    if not metadata:
        return {}
    out: Dict[str, Any] = {}
    try:
        for k, v in metadata.items():
            key = k if type(k) is str else str(k)
            out[key] = to_jsonable(v, limits)
    except Exception:
        return {"<metadata>": _placeholder(metadata)}
    return out
