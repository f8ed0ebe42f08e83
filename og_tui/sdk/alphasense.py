"""``og_tui.sdk.alphasense``: OpenGradient models and workflows as agent tools (AlphaSense).

    import og_tui.sdk as og
    from og_tui.sdk.alphasense import ToolType, create_run_model_tool, create_read_workflow_tool
    og.init(None, None, private_key, profile="local")
    tool = create_run_model_tool(ToolType.LANGCHAIN, cid, "forecast", lambda **kw: {"input": ...},
                                 lambda result: f"{result.model_output['output'].item():.4f}",
                                 tool_input_schema=MyArgs)
    vol = create_read_workflow_tool(ToolType.SWARM, "0xD5629A5b95dde11e4B5772B5Ad8a13B933e33845",
                                    "eth_volatility", "ETH/USDT one hour volatility forecast")

Same names and signatures as the reference SDK (protocol notes §6):

- LangChain: a ``StructuredTool`` whose ``args_schema`` is ``tool_input_schema`` (an
  empty schema when None). Needs ``langchain-core`` (``pip install og-tui[langchain]``).
- Swarm: a plain function with ``__name__``/``__doc__`` set and annotations mapping each
  schema field to ``(type, description)``.

Both raise RuntimeError when :func:`og_tui.sdk.init` has not been called. Unlike the
reference, a tool whose run fails with an og-tui error (input that does not fit the
model, a reverted transaction, an address that is not a workflow) returns
``"Error: <what went wrong>"`` so the agent's LLM can read it (LangChain: through
``ToolException`` with ``handle_tool_error``) instead of crashing the agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Type

from og_tui.core.errors import OGError
from og_tui.core.types import InferenceMode, InferenceResult, ModelOutput, ToolType
from og_tui.sdk._state import _require_client

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool, ToolException

__all__ = ["ToolType", "create_run_model_tool", "create_read_workflow_tool"]


def _tool_type(tool_type: Any) -> ToolType:
    try:
        return (
            tool_type
            if isinstance(tool_type, ToolType)
            else ToolType(str(getattr(tool_type, "value", tool_type)).lower())
        )
    except ValueError:
        raise ValueError(f"Invalid tooltype {tool_type!r}: use ToolType.LANGCHAIN or ToolType.SWARM.") from None


def _langchain() -> Tuple[Type[StructuredTool], Type[ToolException]]:
    try:
        from langchain_core.tools import StructuredTool, ToolException
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("LangChain tools need langchain-core: pip install 'og-tui[langchain]'.") from None
    return StructuredTool, ToolException


def _empty_schema() -> Type[Any]:
    from pydantic import BaseModel

    class EmptyInput(BaseModel):
        """No arguments."""

    return EmptyInput


def _annotations(schema: Any) -> Dict[str, Tuple[Any, Optional[str]]]:
    """Pydantic model -> ``{field: (type, description)}`` (the reference's Swarm annotations)."""
    fields = getattr(schema, "model_fields", None)
    if fields is None:  # pydantic v1-style model
        fields = getattr(schema, "__fields__", {}) or {}
        return {
            name: (getattr(f, "outer_type_", Any), getattr(getattr(f, "field_info", None), "description", None))
            for name, f in fields.items()
        }
    return {name: (f.annotation, f.description) for name, f in fields.items()}


def _wrap(tool_type: ToolType, func: Callable[..., object], name: str, description: str, schema: Any) -> Any:
    """Build the framework object around ``func`` (which raises OGError on failure)."""
    if tool_type == ToolType.LANGCHAIN:
        StructuredTool, ToolException = _langchain()

        def run(**kwargs: Any) -> object:
            try:
                return func(**kwargs)
            except OGError as exc:
                raise ToolException(f"Error: {exc}") from exc

        return StructuredTool.from_function(
            func=run,
            name=name,
            description=description,
            args_schema=schema if schema is not None else _empty_schema(),
            handle_tool_error=True,
        )

    def swarm_tool(**kwargs: Any) -> object:
        try:
            return func(**kwargs)
        except OGError as exc:
            return f"Error: {exc}"

    annotations = _annotations(schema) if schema is not None else {}
    swarm_tool.__name__ = name
    swarm_tool.__qualname__ = name
    swarm_tool.__doc__ = description
    swarm_tool.__annotations__ = annotations
    # agent frameworks read parameters with inspect.signature: show the schema's fields, not **kwargs
    import inspect

    swarm_tool.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY) for field in annotations]
    )
    return swarm_tool


def create_run_model_tool(
    tool_type: ToolType,
    model_cid: str,
    tool_name: str,
    model_input_provider: Callable[..., Dict[str, Any]],
    model_output_formatter: Callable[[InferenceResult], str],
    tool_input_schema: Optional[Type[Any]] = None,
    tool_description: str = "Executes the given ML model",
    inference_mode: InferenceMode = InferenceMode.VANILLA,
) -> Any:
    """A tool that runs ``model_cid`` on chain and returns its formatted output.

    When the agent calls it with arguments ``args`` (fields of ``tool_input_schema``),
    it calls ``model_input_provider(**args)`` for the model input dict, runs
    :func:`og_tui.sdk.infer` (an inference transaction) and returns
    ``model_output_formatter(InferenceResult)``.

    Returns a LangChain ``StructuredTool`` or a Swarm-style function (see the module
    docstring). Raises RuntimeError if the SDK is not initialized, ValueError for an
    unknown ``tool_type``.
    """
    _require_client()
    kind = _tool_type(tool_type)

    def model_executor(**llm_input: Any) -> str:
        from og_tui.sdk._infer import infer

        model_input = model_input_provider(**llm_input)
        result = infer(model_cid=model_cid, inference_mode=inference_mode, model_input=model_input)
        return model_output_formatter(result)

    return _wrap(kind, model_executor, tool_name, tool_description, tool_input_schema)


def create_read_workflow_tool(
    tool_type: ToolType,
    workflow_contract_address: str,
    tool_name: str,
    tool_description: str,
    output_formatter: Callable[[ModelOutput], object] = lambda x: x,
) -> Any:
    """A no-argument tool returning ``output_formatter(read_workflow_result(address))``.

    The read is an ``eth_call`` (free). Raises RuntimeError if the SDK is not initialized.
    """
    _require_client()
    kind = _tool_type(tool_type)

    def read_workflow() -> object:
        from og_tui.sdk.alpha import read_workflow_result

        return output_formatter(read_workflow_result(workflow_contract_address))

    def executor(**kwargs: Any) -> object:
        return read_workflow()

    return _wrap(kind, executor, tool_name, tool_description, None)
