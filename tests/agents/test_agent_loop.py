"""core.agent.run_agent against the real devnet: the builtin LLM calls an OpenGradient
model (a real inference transaction) or reads a workflow, and answers with the result;
bad arguments, a runaway loop, the spend cap and a non-workflow address end cleanly."""

from __future__ import annotations

import json

import pytest

from og_tui.core.agent import AgentTools, fit_arguments, run_agent, schema_from_signature
from og_tui.core.alpha import NotAWorkflow
from og_tui.core.errors import ValidationError
from og_tui.core.x402_common import SpendCaps

from .conftest import BTC_WORKFLOW, MODEL, VOLATILITY_WORKFLOW

pytestmark = pytest.mark.e2e

ASK = [{"role": "user", "content": "Run the regression model and tell me its output."}]


def _kinds(result) -> list:
    return [e.kind for e in result.trace]


def test_schema_from_signature_describes_each_tensor():
    sig = {
        "inputs": [
            {"name": "input", "dtype": "float32", "shape": [1, 3, 4]},
            {"name": "ids", "dtype": "int64", "shape": [None, 2]},
            {"name": "words", "dtype": "string", "shape": ["n"]},
        ],
        "outputs": [{"name": "out", "dtype": "float32", "shape": [1, 1]}],
    }
    schema = schema_from_signature(sig)
    assert schema["required"] == ["input", "ids", "words"]
    inp = schema["properties"]["input"]
    assert (inp["type"], inp["minItems"], inp["maxItems"]) == ("array", 1, 1)
    assert inp["items"]["items"]["maxItems"] == 4 and inp["items"]["items"]["items"] == {"type": "number"}
    assert "float32" in inp["description"] and "[1, 3, 4]" in inp["description"]
    ids = schema["properties"]["ids"]
    assert "maxItems" not in ids and ids["items"]["items"] == {"type": "integer"}
    assert "[?, 2]" in ids["description"]
    assert schema["properties"]["words"]["items"] == {"type": "string"}
    # a flat list of the right size is reshaped; a wrong size is refused with the tensor named
    fitted = fit_arguments({"input": list(range(12)), "ids": [[1, 2]], "words": ["a"]}, sig)
    assert fitted["input"] == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]]
    with pytest.raises(ValidationError, match="'input'"):
        fit_arguments({"input": [1.0, 2.0], "ids": [[1, 2]], "words": ["a"]}, sig)


def test_agent_runs_model_tool_on_chain_and_answers_with_its_output(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tool = tools.add_model(agent_env.cids["linear-regression"], title="linear-regression")  # signature from the hub
    assert tool.name == "run_linear_regression" and tool.kind == "model"
    assert tool.parameters["properties"]["input"]["minItems"] == 1
    seen = []
    llm = agent_env.llm(acct)
    result = run_agent(llm, MODEL, ASK, tools, on_event=seen.append)
    assert result.finished and result.stopped is None
    assert _kinds(result) == [
        "llm_call",
        "llm_reply",
        "tool_call",
        "tx",
        "tool_result",
        "llm_call",
        "llm_reply",
        "final",
    ]
    # every traced event went to on_event (plus the untraced tx_sent notice)
    assert [e for e in seen if e.kind != "tx_sent"] == result.trace
    assert any(e.kind == "tx_sent" for e in seen)
    call = result.events("tool_call")[0]
    assert call.data["name"] == tool.name and "input" in call.data["args"]
    # a real inference transaction, mined with status 1, by this wallet, to the hub
    (tx,) = result.tx_hashes
    receipt = agent_env.receipt(tx)
    assert int(receipt["status"], 16) == 1
    assert receipt["from"].lower() == acct.address.lower()
    assert receipt["to"].lower() == agent_env.profile.inference_contract.lower()
    assert result.events("tx")[0].data["hash"] == tx
    # the final answer uses the model's output
    content = result.events("tool_result")[0].data["content"]
    assert content.startswith("output [1, 1] = [[")
    assert content in result.text
    # both LLM calls were on-chain (VANILLA) transactions too
    assert len(result.llm_tx_hashes) == 2
    for h in result.llm_tx_hashes:
        assert int(agent_env.receipt(h)["status"], 16) == 1
    # the conversation holds the assistant tool call and the tool result
    roles = [m["role"] for m in result.messages]
    assert roles == ["user", "assistant", "tool", "assistant"]
    assert result.messages[2]["content"] == content
    assert result.timings["total_s"] >= result.timings["llm_s"] + result.timings["tools_s"] - 1e-6
    # the trace is JSON-able (saved with the conversation) and keeps each event's kind
    dumped = json.loads(json.dumps(result.trace_dicts()))
    assert [d["kind"] for d in dumped] == _kinds(result)
    assert dumped[2]["tool_kind"] == "model" and dumped[2]["model_cid"] == tool.model_cid
    llm.close()


def test_agent_streams_over_tee_and_confirms_with_an_estimate(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tools.add_model(agent_env.cids["weighted-sum"], title="weighted-sum")
    asked = []

    def confirm(tool, args, estimate):
        asked.append((tool.name, args, estimate))
        return True

    seen = []
    llm = agent_env.llm(acct)
    result = run_agent(
        llm,
        MODEL,
        [{"role": "user", "content": "Compute the weighted sum, please."}],
        tools,
        mode="TEE",
        stream=True,
        confirm=confirm,
        on_event=seen.append,
        max_tokens=150,
    )
    assert result.finished, result.error
    ((name, args, estimate),) = asked
    assert name == "run_weighted_sum" and set(args) == {"a", "b"}
    assert estimate["gas"] > 21_000 and estimate["fee_wei"] > 0 and "gas" in estimate["text"]
    assert result.events("confirm")[0].data["approved"] is True
    deltas = [e for e in seen if e.kind == "llm_delta"]
    assert deltas and "".join(e.data["content"] for e in deltas) == result.text
    assert not any(e.kind == "llm_delta" for e in result.trace)
    content = result.events("tool_result")[0].data["content"]
    assert "sum [1, 4]" in content and "total [1, 1]" in content
    assert content in result.text
    assert int(agent_env.receipt(result.tx_hashes[0])["status"], 16) == 1
    # TEE replies were paid with x402 (cost on the reply events), not on-chain LLM calls
    assert result.llm_tx_hashes == []
    assert all(e.data["cost"] > 0 for e in result.events("llm_reply"))
    llm.close()


def test_declined_confirmation_runs_nothing(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tools.add_model(agent_env.cids["linear-regression"], title="linear-regression")
    llm = agent_env.llm(acct)
    result = run_agent(llm, MODEL, ASK, tools, confirm=lambda *a: False)
    assert result.finished and result.tx_hashes == []
    assert "declined" in result.events("tool_error")[0].data["error"]
    assert "declined" in result.text
    llm.close()


def test_agent_reads_a_seeded_workflow(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tool = tools.add_workflow(VOLATILITY_WORKFLOW, title="ETH/USDT 1h volatility")
    assert tool.kind == "workflow" and tool.parameters["properties"] == {} and tool.confirm is False
    llm = agent_env.llm(acct)
    result = run_agent(
        llm,
        MODEL,
        [{"role": "user", "content": "What is the ETH volatility forecast?"}],
        tools,
        confirm=lambda *a: pytest.fail("a workflow read needs no confirmation"),
    )
    assert result.finished
    res = result.events("tool_result")[0]
    assert res.data["content"].startswith("Y [1, 1] = [[") or res.data["content"].startswith("Y = ")
    assert "Y" in res.data["outputs"]
    assert res.data["content"] in result.text
    assert result.tx_hashes == []  # a read, not a transaction
    llm.close()


def test_not_a_workflow_is_reported_clearly(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    # refused when attached ...
    with pytest.raises(NotAWorkflow, match="is not a workflow contract"):
        tools.add_workflow(acct.address)
    with pytest.raises(NotAWorkflow, match="is not a workflow contract"):
        tools.add_workflow(agent_env.profile.inference_contract)
    # ... and, attached unchecked, the LLM gets the error as the tool result
    tools.add_workflow(acct.address, validate=False, title="my wallet")
    llm = agent_env.llm(acct)
    result = run_agent(llm, MODEL, [{"role": "user", "content": "Read the workflow"}], tools)
    assert result.finished
    err = result.events("tool_error")[0].data
    assert "is not a workflow contract" in err["error"] and acct.address in err["error"]
    assert result.messages[2]["role"] == "tool" and result.messages[2]["content"].startswith("Error: ")
    assert "is not a workflow contract" in result.text
    llm.close()


def test_arguments_that_do_not_fit_the_signature_go_back_as_the_tool_result(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    # a schema that lies about the model (a flat list of 2 values for a [1, 3, 4] tensor)
    wrong = {
        "type": "object",
        "required": ["input"],
        "properties": {"input": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}},
    }
    tools.add_model(agent_env.cids["linear-regression"], title="linear-regression", parameters=wrong)
    block = agent_env.chain.block_number()
    llm = agent_env.llm(acct)
    result = run_agent(llm, MODEL, ASK, tools)
    assert result.finished and result.tx_hashes == []
    err = result.events("tool_error")[0].data
    assert "do not fit model linear-regression" in err["error"]
    assert "shape [2]" in err["error"] and "[1, 3, 4]" in err["error"]
    tool_msg = result.messages[2]
    assert tool_msg["role"] == "tool" and tool_msg["content"] == err["content"]
    assert "do not fit" in result.text  # the LLM read the error
    # no inference transaction was sent by this wallet (only the two LLM calls)
    assert agent_env.chain.nonce(acct.address, "latest") == 2
    assert agent_env.chain.block_number() >= block
    llm.close()


class Insistent:
    """A real (on-chain) LLM that is always asked once more: a runaway tool loop."""

    def __init__(self, llm):
        self.llm = llm
        self.calls = 0

    def chat(self, model, messages, **kw):
        self.calls += 1
        return self.llm.chat(
            model, messages + [{"role": "user", "content": "Run the regression model once more."}], **kw
        )


def test_runaway_tool_loop_stops_at_max_rounds(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tools.add_model(agent_env.cids["linear-regression"], title="linear-regression")
    llm = agent_env.llm(acct)
    insistent = Insistent(llm)
    result = run_agent(insistent, MODEL, ASK, tools, max_rounds=2)
    assert result.stopped == "max_rounds"
    assert insistent.calls == 3 and result.rounds == 3 and result.tool_rounds == 2
    assert len(result.tx_hashes) == 2  # two rounds ran, the third request was not
    assert all(int(agent_env.receipt(h)["status"], 16) == 1 for h in result.tx_hashes)
    assert "Stopped after 2 tool rounds" in result.text and "not run" in result.text
    assert result.trace[-1].kind == "stopped" and result.trace[-1].data["reason"] == "max_rounds"
    # the unrun call still has an answer, so the conversation can continue
    assert result.messages[-1]["role"] == "tool" and result.messages[-1]["content"].startswith("Not run")
    llm.close()


def test_spend_cap_reached_mid_loop_stops_cleanly(agent_env):
    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tools.add_model(agent_env.cids["linear-regression"], title="linear-regression")
    caps = SpendCaps(per_run=150)  # one 100-token reply (100 units on devnet) fits, two do not
    llm = agent_env.llm(acct, caps=caps)
    result = run_agent(llm, MODEL, ASK, tools, mode="TEE", max_tokens=100)
    assert result.stopped == "spend_cap"
    assert "Spend cap reached" in result.text and "Nothing was signed" in result.text
    assert caps.spent == 100
    # the tool round before the cap is kept: its transaction is mined, its result in the conversation
    (tx,) = result.tx_hashes
    assert int(agent_env.receipt(tx)["status"], 16) == 1
    assert [m["role"] for m in result.messages] == ["user", "assistant", "tool"]
    assert result.messages[2]["content"] == result.events("tool_result")[0].data["content"]
    assert _kinds(result)[-2:] == ["llm_call", "stopped"]
    llm.close()


def test_cancel_before_the_next_round(agent_env):
    import threading

    acct = agent_env.funded()
    tools = agent_env.tools(acct)
    tools.add_workflow(BTC_WORKFLOW, title="BTC 1h forecast")
    stop = threading.Event()

    def on_event(ev):
        if ev.kind == "tool_result":
            stop.set()

    llm = agent_env.llm(acct)
    result = run_agent(
        llm, MODEL, [{"role": "user", "content": "BTC forecast?"}], tools, on_event=on_event, cancel=stop
    )
    assert result.stopped == "cancelled" and result.rounds == 1
    assert result.messages[-1]["role"] == "tool"
    llm.close()


def test_tools_registry_names_are_unique_and_valid(agent_env):
    tools = AgentTools(agent_env.chain, None, profile=agent_env.profile, hub=agent_env.hub)
    a = tools.add_model(agent_env.cids["iris-classifier"], title="iris classifier!")
    b = tools.add_model(agent_env.cids["iris-classifier"], title="iris classifier!")
    assert a.name == "run_iris_classifier" and b.name == "run_iris_classifier_2"
    assert [s["function"]["name"] for s in tools.specs()] == [a.name, b.name]
    feats = a.parameters["properties"]["features"]
    assert "maxItems" not in feats and feats["items"]["maxItems"] == 4  # ["batch", 4]
    with pytest.raises(ValidationError):
        tools.add_model("")
