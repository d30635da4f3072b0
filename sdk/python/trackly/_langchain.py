"""LangChain callback handler, duck-typed to langchain_core's BaseCallbackHandler.

LangChain reports runs as start/end/error events keyed by `run_id`, with `parent_run_id` for
nesting. Each run becomes one observation; a run without a known parent nests under the active
Trackly observation (e.g. `with trackly.step(...)` around `llm.invoke`). LangChain is not imported:
the SDK has no dependencies, and the callback manager only looks up these methods and flags.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from ._observation import _UNSET, Observation

if TYPE_CHECKING:
    from ._client import Trackly

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function",
          "developer": "developer", "AIMessageChunk": "assistant"}
# invocation_params keys that are not model parameters.
_NOT_PARAMETERS = {"model", "model_name", "_type", "stop", "messages", "stream", "tools", "functions"}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def message_to_dict(message: Any) -> Any:
    """A LangChain BaseMessage (or dict) as {role, content, tool_calls?, tool_call_id?, name?}."""
    if isinstance(message, Mapping) and "role" in message:
        return dict(message)
    kind = _get(message, "type")
    if kind is None:
        return message
    role = _get(message, "role") if kind == "chat" else _ROLES.get(kind, kind)
    out: Dict[str, Any] = {"role": role, "content": _get(message, "content")}
    calls = _get(message, "tool_calls")
    if calls:
        out["tool_calls"] = [{"id": _get(c, "id"), "name": _get(c, "name"), "arguments": _get(c, "args")} for c in calls]
    for key in ("tool_call_id", "name"):
        value = _get(message, key)
        if value:
            out[key] = value
    return out


def _run_name(serialized: Any, kwargs: Mapping[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if name:
        return str(name)
    if isinstance(serialized, Mapping):
        if serialized.get("name"):
            return str(serialized["name"])
        ids = serialized.get("id")
        if isinstance(ids, list) and ids:
            return str(ids[-1])
    return default


def _usage(response: Any, message: Any) -> Optional[Dict[str, int]]:
    meta = _get(message, "usage_metadata") if message is not None else None
    if meta:
        usage = {"input_tokens": _get(meta, "input_tokens"), "output_tokens": _get(meta, "output_tokens"),
                 "total_tokens": _get(meta, "total_tokens")}
        details_in = _get(meta, "input_token_details") or {}
        details_out = _get(meta, "output_token_details") or {}
        usage["cache_read_tokens"] = _get(details_in, "cache_read")
        usage["cache_write_tokens"] = _get(details_in, "cache_creation")
        usage["reasoning_tokens"] = _get(details_out, "reasoning")
        return {k: v for k, v in usage.items() if isinstance(v, int)}
    llm_output = _get(response, "llm_output") or {}
    token_usage = _get(llm_output, "token_usage") or _get(llm_output, "usage")
    if isinstance(token_usage, Mapping):
        return {k: v for k, v in token_usage.items() if isinstance(v, int)}
    return None


class CallbackHandler:
    """Thread-safe (runs are kept in a dict, whose single operations are atomic).

    Pass it in `callbacks=[...]` of a model, chain, tool, retriever or graph invocation.
    """

    ignore_llm = False
    ignore_chain = False
    ignore_agent = False
    ignore_retriever = False
    ignore_chat_model = False
    ignore_retry = False
    ignore_custom_event = False
    raise_error = False
    # Called on the caller's thread and context, so runs nest under the active Trackly observation.
    run_inline = True

    def __init__(self, client: "Trackly") -> None:
        self._client = client
        self._runs: Dict[Any, Observation] = {}

    # ---- chains and agents ------------------------------------------------------------------------

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: Any, parent_run_id: Any = None,
                       tags: Optional[List[str]] = None, metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        name = _run_name(serialized, kwargs, "chain")
        kind = "agent" if "agent" in name.lower() else "chain"
        self._start(run_id, parent_run_id, name, kind, tags, metadata, input=inputs)

    def on_chain_end(self, outputs: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id, output=outputs)

    def on_chain_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._error(run_id, error)

    def on_agent_action(self, action: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._event(run_id, "agent_action", {"tool": _get(action, "tool"), "tool_input": _get(action, "tool_input"),
                                             "log": _get(action, "log")})

    def on_agent_finish(self, finish: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._event(run_id, "agent_finish", {"return_values": _get(finish, "return_values"), "log": _get(finish, "log")})

    # ---- models ------------------------------------------------------------------------------------

    def on_chat_model_start(self, serialized: Any, messages: List[List[Any]], *, run_id: Any,
                            parent_run_id: Any = None, tags: Optional[List[str]] = None,
                            metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        batches = [[message_to_dict(m) for m in batch] for batch in messages or []]
        prompt = batches[0] if len(batches) == 1 else batches
        self._start_model(serialized, run_id, parent_run_id, tags, metadata, kwargs, prompt)

    def on_llm_start(self, serialized: Any, prompts: List[str], *, run_id: Any, parent_run_id: Any = None,
                     tags: Optional[List[str]] = None, metadata: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        prompt = prompts[0] if prompts and len(prompts) == 1 else prompts
        self._start_model(serialized, run_id, parent_run_id, tags, metadata, kwargs, prompt)

    def on_llm_new_token(self, token: str, *, run_id: Any, **kwargs: Any) -> None:
        obs = self._runs.get(run_id)
        if obs is not None:
            obs.mark_first_token()

    def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
        try:
            generations = _get(response, "generations") or []
            first = generations[0][0] if generations and generations[0] else None
            message = _get(first, "message") if first is not None else None
            if message is not None:
                output: Any = message_to_dict(message)
            else:
                output = _get(first, "text") if first is not None else None
            llm_output = _get(response, "llm_output") or {}
            model = _get(llm_output, "model_name") or _get(_get(message, "response_metadata") or {}, "model_name")
            fields: Dict[str, Any] = {"output": output, "usage": _usage(response, message)}
            if model:
                fields["attributes"] = {"gen_ai.response.model": model}
        except Exception:
            self._client._log.exception("trackly: could not read a LangChain LLM result")
            fields = {}
        self._end(run_id, **fields)

    def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._error(run_id, error)

    # ---- tools and retrievers ------------------------------------------------------------------------

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: Any, parent_run_id: Any = None,
                      tags: Optional[List[str]] = None, metadata: Optional[Dict[str, Any]] = None,
                      inputs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        arguments: Any = inputs
        if arguments is None:
            try:
                arguments = json.loads(input_str)
            except (TypeError, ValueError):
                arguments = input_str
        name = _run_name(serialized, kwargs, "tool")
        obs = self._start(run_id, parent_run_id, name, "tool", tags, metadata, input=arguments)
        if obs is not None and obs.sampled:
            obs.attributes["gen_ai.tool.name"] = name
            call_id = kwargs.get("tool_call_id")
            if call_id:
                obs.attributes["gen_ai.tool.call.id"] = str(call_id)

    def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
        content = _get(output, "content", _UNSET) if _get(output, "type") == "tool" else _UNSET
        self._end(run_id, output=output if content is _UNSET else content)

    def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._error(run_id, error)

    def on_retriever_start(self, serialized: Any, query: str, *, run_id: Any, parent_run_id: Any = None,
                           tags: Optional[List[str]] = None, metadata: Optional[Dict[str, Any]] = None,
                           **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "retriever"), "retriever", tags, metadata,
                    input=query)

    def on_retriever_end(self, documents: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id, documents=documents)

    def on_retriever_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._error(run_id, error)

    # ---- other events --------------------------------------------------------------------------------

    def on_retry(self, retry_state: Any, *, run_id: Any, **kwargs: Any) -> None:
        obs = self._runs.get(run_id)
        if obs is not None:
            obs.update(retry_count=int(obs.attributes.get("trackly.retry_count", 0)) + 1)

    def on_text(self, text: str, *, run_id: Any, **kwargs: Any) -> None:
        pass

    def on_custom_event(self, name: str, data: Any, *, run_id: Any, **kwargs: Any) -> None:
        self._event(run_id, str(name), {"data": data})

    # ---- internals -----------------------------------------------------------------------------------

    def _start_model(self, serialized: Any, run_id: Any, parent_run_id: Any, tags: Any, metadata: Any,
                     kwargs: Dict[str, Any], prompt: Any) -> None:
        params = kwargs.get("invocation_params") or {}
        md = metadata or {}
        model = params.get("model") or params.get("model_name") or md.get("ls_model_name")
        fields: Dict[str, Any] = {
            "input": prompt,
            "model_parameters": {k: v for k, v in params.items() if k not in _NOT_PARAMETERS and v is not None},
        }
        if model:
            fields["model"] = model
        if md.get("ls_provider"):
            fields["provider"] = md["ls_provider"]
        self._start(run_id, parent_run_id, _run_name(serialized, kwargs, "llm"), "generation", tags, metadata, **fields)

    def _start(self, run_id: Any, parent_run_id: Any, name: str, kind: str, tags: Any, metadata: Any,
               **fields: Any) -> Optional[Observation]:
        try:
            parent = self._runs.get(parent_run_id) if parent_run_id is not None else None
            obs = self._client._observation(name, kind, parent)
            md = {k: v for k, v in (metadata or {}).items() if not str(k).startswith("ls_")}
            if tags:
                md["tags"] = list(tags)
            obs.update(metadata=md, **fields)
            self._runs[run_id] = obs
            return obs
        except Exception:
            self._client._log.exception("trackly: LangChain run start not recorded")
            return None

    def _end(self, run_id: Any, **fields: Any) -> None:
        obs = self._runs.pop(run_id, None)
        if obs is None:
            return
        try:
            obs.update(**fields)
        finally:
            obs.end()

    def _error(self, run_id: Any, error: BaseException) -> None:
        obs = self._runs.pop(run_id, None)
        if obs is None:
            return
        try:
            obs.record_exception(error)
        finally:
            obs.end()

    def _event(self, run_id: Any, name: str, attributes: Dict[str, Any]) -> None:
        obs = self._runs.get(run_id)
        if obs is not None:
            obs.add_event(name, {k: v for k, v in attributes.items() if v is not None})
