"""The [mcp] table of config.toml (what og-tui mcp exposes), the tool schemas derived from
ONNX signatures, and the approval queue's rules (on a real SQLite file)."""

from __future__ import annotations

import threading

import pytest

from og_tui.core.config import load_settings
from og_tui.core.errors import ConfigError, ValidationError
from og_tui.core.mcp_config import McpConfig, ModelRef, parse_mcp


def _load(tmp_path, text: str):
    (tmp_path / "config.toml").write_text(text)
    return load_settings(env={}, config_dir=tmp_path, data_dir=tmp_path / "data")


def test_no_table_means_the_defaults(tmp_path):
    settings = _load(tmp_path, 'theme = "textual-dark"\n')
    assert settings.mcp is None
    cfg = parse_mcp({}).server()
    assert cfg == McpConfig()
    assert cfg.models == () and cfg.workflows == ("public", "mine") and cfg.chat and cfg.confirm == ()


def test_a_full_table_and_a_named_server(tmp_path):
    settings = _load(
        tmp_path,
        """
[mcp]
models = ["linear-regression", "weighted-sum@1", "linear-regression"]
workflows = ["public", "0x00000000000000000000000000000000000000aa", "read_btc_1_hour_price_forecast"]
chat = false
chat_models = ["og-devnet/mini"]
chat_max_tokens = 64
confirm = ["chat", "weighted-sum"]
approval_timeout = 30
inference_mode = "tee"
settlement = "settle"
max_gas_fee = "0.2"

[mcp.servers.research]
models = []
confirm = ["models"]
""",
    )
    cfg = settings.mcp.server()
    assert cfg.models == (ModelRef("linear-regression"), ModelRef("weighted-sum", "1"))  # duplicates dropped
    assert cfg.workflows[1] == "0x00000000000000000000000000000000000000aa"
    assert (cfg.chat, cfg.chat_models, cfg.chat_max_tokens) == (False, ("og-devnet/mini",), 64)
    assert (cfg.approval_timeout, cfg.inference_mode, cfg.settlement) == (30.0, "TEE", "settle")
    assert cfg.max_gas_fee_wei == 2 * 10**17 and McpConfig().max_gas_fee_wei == 5 * 10**16
    assert cfg.needs_confirmation("chat") and cfg.needs_confirmation("model", "weighted-sum")
    assert not cfg.needs_confirmation("model", "linear-regression")
    research = settings.mcp.server("research")
    assert research.name == "research" and research.models == ()
    assert research.chat_max_tokens == 64 and research.settlement == "settle"  # the rest from [mcp]
    assert research.needs_confirmation("model", "anything")
    with pytest.raises(ConfigError) as exc:
        settings.mcp.server("reserch")
    assert "default, research" in str(exc.value) and "[mcp.servers.reserch]" in exc.value.hint


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('modles = ["x"]', ["unknown key 'modles' in [mcp]", "Did you mean 'models'?"]),
        ('models = "linear-regression"', ["mcp.models must be a list of Hub model names"]),
        ('models = ["x@"]', ["'x@' is not a model name"]),
        ('models = ["x@one"]', ["must look like 1.00"]),
        ('workflows = ["pubic"]', ["'pubic' is not a workflow", "Did you mean 'public'?"]),
        ('workflows = ["0x12"]', ["'0x12' is not a workflow"]),
        ('chat = "yes"', ["mcp.chat must be true or false"]),
        ("chat_max_tokens = 0", ["mcp.chat_max_tokens must be a whole number from 1 to 100000"]),
        ('confirm = ["chats"]', ["'chats' is neither", "Did you mean 'chat'?"]),
        ('models = ["a"]\nconfirm = ["b"]', ["'b' is neither", "Valid here: models, chat, a"]),
        ("approval_timeout = 0", ["approval_timeout must be seconds, from 1 to 3600"]),
        ('inference_mode = "FAST"', ["inference_mode must be VANILLA, TEE or ZKML"]),
        ('settlement = "later"', ["settlement must be settle, settle-metadata or settle-batch"]),
        ('servers = "x"', ["mcp.servers must hold [mcp.servers.NAME] tables"]),
        ('max_gas_fee = "-1"', ["mcp.max_gas_fee", "must be positive"]),
        ('max_gas_fee = "0,5"', ["mcp.max_gas_fee", "no commas"]),
        ("max_gas_fee = true", ["mcp.max_gas_fee must be an amount of the native token"]),
        ('[mcp.servers."bad name"]\nchat = true', ["'bad name' cannot name an MCP server"]),
        ("[mcp.servers.x]\nservers = 1", ["unknown key 'servers' in [mcp.servers.x]"]),
        ("[mcp.servers.x]\nchat_modles = []", ["Did you mean 'chat_models'?"]),
    ],
)
def test_mistakes_are_named(tmp_path, table, words):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, "[mcp]\n" + table + "\n")
    text = f"{exc.value} {exc.value.hint or ''}"
    assert str(tmp_path / "config.toml") in text
    for word in words:
        assert word in text, text


def test_mcp_is_not_a_scalar(tmp_path):
    with pytest.raises(ConfigError) as exc:
        _load(tmp_path, 'mcp = "on"\n')
    assert "mcp must be a table" in str(exc.value)


# --- tool schemas from ONNX signatures --------------------------------------------------------


def test_tensor_schemas_follow_the_signature():
    from og_tui.serve.mcp_tools import model_input_schema, tensor_schema, tool_name_for

    sig = {
        "inputs": [
            {"name": "x", "dtype": "float32", "shape": [None, 3]},
            {"name": "ids", "dtype": "int64", "shape": [2]},
            {"name": "words", "dtype": "string", "shape": [1, 2]},
            {"name": "m", "dtype": "map(int64,float32)", "shape": None},
        ]
    }
    schema = model_input_schema(sig)
    assert schema["required"] == ["x", "ids", "words", "m"] and schema["additionalProperties"] is False
    x = schema["properties"]["x"]
    assert x["type"] == "array" and x["minItems"] == 1 and "maxItems" not in x  # a dynamic batch
    assert x["items"] == {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}
    assert x["description"] == "float32 tensor [?, 3]"
    assert schema["properties"]["ids"]["items"] == {"type": "integer"}
    words = schema["properties"]["words"]
    assert words["items"] == {"type": "string"} and words["minItems"] == words["maxItems"] == 2
    assert "type" not in tensor_schema(sig["inputs"][3])
    taken: set[str] = set()
    assert [tool_name_for(n, taken) for n in ("Linear-Regression", "linear regression", "@@")] == [
        "run_linear_regression",
        "run_linear_regression_2",
        "run_model",
    ]


# --- the approval queue ---------------------------------------------------------------------------


def test_approval_queue_decisions_and_expiry(tmp_path):
    from og_tui.core.mcp_approvals import ApprovalQueue

    with ApprovalQueue(tmp_path / "og-tui.db") as queue:
        queue.poll_seconds = 0.01
        a = queue.request("run_x", {"input": [1]}, "gas", timeout=60, profile="local")
        assert [p.id for p in queue.pending("local")] == [a.id] and queue.pending("other") == []
        results: list[str] = []
        waiter = threading.Thread(target=lambda: results.append(queue.wait(a.id)))
        waiter.start()
        decided = queue.decide(a.id, True, "cli")  # (another process: tests/serve/test_mcp_e2e.py)
        waiter.join(timeout=10)
        assert results == ["approved"] and decided.decided_by == "cli"
        with pytest.raises(ValidationError) as exc:
            queue.decide(a.id, False, "cli")
        assert "approved already" in str(exc.value)
        with pytest.raises(ValidationError) as exc:
            queue.decide(999, True, "cli")
        assert "No approval request #999" in str(exc.value)

        b = queue.request("chat", {"prompt": "hi"}, "OUSDC", timeout=0.05)
        assert queue.wait(b.id) == "expired"
        with pytest.raises(ValidationError):
            queue.decide(b.id, True, "app")  # too late: the call gave up and signed nothing
        c = queue.request("chat", {"prompt": "x" * 10_000}, "OUSDC", timeout=60)
        assert len(c.arguments) == 4000 and c.arguments.endswith("...")
        assert queue.decide(c.id, False, "app").status == "denied"
        assert queue.wait(c.id) == "denied"
        assert [r.status for r in queue.recent(3)] == ["denied", "expired", "approved"]
