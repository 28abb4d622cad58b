"""LLMGate: scripted fake chat models, and ChatOpenAI against a loopback OpenAI-compatible stub server."""

from __future__ import annotations

import json
import logging
import threading
import warnings
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from langchain_core.callbacks import (
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from mem0_langgraph.errors import LLMGateError, Mem0LangGraphError
from mem0_langgraph.gates._verdict import parse_verdict
from mem0_langgraph.gates.base import (
    MAX_QUERY_CHARS,
    RecallDecision,
    RecallGate,
    SyncGate,
)
from mem0_langgraph.gates.llm import DEFAULT_LLM_GATE_PROMPT, LLMGate

COOK = "What should I cook tonight?"
RECALL_REPLY = json.dumps({"recall": True, "confidence": 0.85, "reason": "asks for a personal recommendation",
                           "queries": ["dietary restrictions", "food preferences"]})
NO_RECALL_REPLY = json.dumps({"recall": False, "confidence": 0.05, "queries": [], "reason": "general knowledge"})


class CountingFake(GenericFakeChatModel):
    """GenericFakeChatModel that counts calls and keeps what it was sent."""

    calls: int = 0
    received: list[list[BaseMessage]] = []

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.calls += 1
        self.received = [*self.received, list(messages)]
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


def fake(*replies: str) -> CountingFake:
    return CountingFake(messages=iter(replies))


class SplitFake(BaseChatModel):
    """Its sync and async replies differ, so a test can tell which path ran."""

    sync_reply: str
    async_reply: str

    @property
    def _llm_type(self) -> str:
        return "split-fake"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.sync_reply))])

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.async_reply))])


class FixedGate(SyncGate):
    """A cheap gate with a fixed score, counting its calls."""

    def __init__(self, score: float, recall: bool) -> None:
        self.score = score
        self.recall = recall
        self.calls = 0

    def decide(self, message: str, recent_messages: Sequence[BaseMessage]) -> RecallDecision:
        self.calls += 1
        return RecallDecision(recall=self.recall, score=self.score, reason="fixed",
                              queries=[message] if self.recall else [])


# --- parsing and the decision ------------------------------------------------------------------

def test_is_a_recall_gate() -> None:
    assert isinstance(LLMGate(fake()), RecallGate)


def test_recall_with_rewritten_queries() -> None:
    model = fake(RECALL_REPLY)
    gate = LLMGate(model)
    assert not gate.structured_output  # GenericFakeChatModel has no with_structured_output
    decision = gate.decide(COOK, [HumanMessage("hi"), AIMessage("Hello! How can I help?")])
    assert decision == RecallDecision(recall=True, score=0.85, reason="llm: asks for a personal recommendation",
                                      queries=[COOK, "dietary restrictions", "food preferences"])
    [sent] = model.received
    prompt = sent[0].content
    assert COOK in prompt and "user: hi" in prompt and "assistant: Hello! How can I help?" in prompt
    assert "JSON object" in prompt


def test_no_recall() -> None:
    decision = LLMGate(fake(NO_RECALL_REPLY)).decide("What is the capital of Australia?", [])
    assert decision == RecallDecision(recall=False, score=0.05, reason="llm: general knowledge", queries=[])


def test_code_fences_and_loose_fields_are_tolerated() -> None:
    reply = 'Here you go:\n```json\n{"recall": "yes", "queries": "my sister\'s wedding"}\n```'
    decision = LLMGate(fake(reply)).decide("When is the wedding again?", [])
    assert decision.recall and decision.score == 1.0  # no confidence: 1.0 for a recall
    assert decision.queries == ["When is the wedding again?", "my sister's wedding"]
    assert decision.reason == "llm: recall"


def test_queries_are_deduped_clipped_and_capped() -> None:
    long_query = "x" * (MAX_QUERY_CHARS + 50)
    reply = json.dumps({"recall": True, "confidence": 3.0,
                        "queries": ["what should I cook tonight", " Food preferences ", "food preferences!", "",
                                    long_query, "allergies", "budget"]})
    decision = LLMGate(fake(reply), max_queries=2).decide(COOK, [])
    assert decision.score == 1.0  # clamped
    assert decision.queries == [COOK, "Food preferences", "x" * MAX_QUERY_CHARS]


def test_no_recall_keeps_queries_the_model_gave() -> None:
    reply = json.dumps({"recall": False, "confidence": 0.4, "queries": ["food preferences"]})
    decision = LLMGate(fake(reply)).decide(COOK, [])
    assert not decision.recall and decision.score == 0.4
    assert decision.queries == [COOK, "food preferences"]  # a Recaller probe band may still search


def test_trivial_turn_makes_no_call() -> None:
    model = fake()
    decision = LLMGate(model).decide("thanks!", [])
    assert not decision.recall and model.calls == 0


def test_parse_verdict_rejects_text_without_a_decision() -> None:
    with pytest.raises(ValueError):
        parse_verdict("I think you should recall.")
    with pytest.raises(ValueError):
        parse_verdict('{"queries": ["x"]}')  # no recall field


# --- failures and on_error ---------------------------------------------------------------------

def test_garbage_reply_warns_and_recalls_with_the_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        decision = LLMGate(fake("Sure, let me think about that.")).decide(COOK, [])
    assert decision.recall and decision.queries == [COOK] and decision.score == 0.5
    assert "not a valid decision" in decision.reason and "fallback: recall with the message" in decision.reason
    assert "not a valid decision" in caplog.text


def test_garbage_reply_raises_a_clear_error() -> None:
    with pytest.raises(LLMGateError, match="not a valid decision") as info:
        LLMGate(fake("no idea"), on_error="raise").decide(COOK, [])
    assert isinstance(info.value, Mem0LangGraphError)
    assert info.value.reply == "no idea"


def test_failed_call_raises_with_the_cause() -> None:
    with pytest.raises(LLMGateError, match="call failed") as info:
        LLMGate(fake(), on_error="raise").decide(COOK, [])  # the scripted replies are exhausted
    assert info.value.reply is None and info.value.__cause__ is not None


def test_ignore_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mem0_langgraph"):
        decision = LLMGate(fake("garbage"), on_error="ignore").decide(COOK, [])
    assert decision.recall and caplog.text == ""


def test_failure_falls_back_to_the_cascade_decision() -> None:
    cheap = FixedGate(0.4, recall=False)
    decision = LLMGate(fake("garbage"), cascade=cheap, on_error="ignore").decide(COOK, [])
    assert (decision.recall, decision.score, decision.queries) == (False, 0.4, [])
    assert decision.reason.endswith("fallback: cascade: cheap gate: fixed")
    assert cheap.calls == 1


# --- cascade -----------------------------------------------------------------------------------

@pytest.mark.parametrize("score", [0.0, 0.05, 0.8, 0.95])
def test_cascade_outside_the_band_makes_no_llm_call(score: float) -> None:
    model, cheap = fake(RECALL_REPLY), FixedGate(score, recall=score >= 0.5)
    decision = LLMGate(model, cascade=cheap, band=(0.1, 0.8)).decide(COOK, [])
    assert model.calls == 0 and cheap.calls == 1
    assert decision == RecallDecision(recall=cheap.recall, score=score, reason="cascade: cheap gate: fixed",
                                      queries=[COOK] if cheap.recall else [])


@pytest.mark.parametrize("score", [0.1, 0.45, 0.79])
def test_cascade_inside_the_band_calls_the_llm_once(score: float) -> None:
    model, cheap = fake(RECALL_REPLY), FixedGate(score, recall=False)
    decision = LLMGate(model, cascade=cheap).decide(COOK, [])
    assert model.calls == 1 and cheap.calls == 1
    assert decision.recall and decision.queries == [COOK, "dietary restrictions", "food preferences"]
    assert decision.reason == f"cascade: cheap gate unsure ({score:.2f}); llm: asks for a personal recommendation"


async def test_cascade_async_runs_the_cheap_gate_and_the_llm() -> None:
    model, cheap = fake(RECALL_REPLY), FixedGate(0.5, recall=True)
    decision = await LLMGate(model, cascade=cheap).adecide(COOK, [])
    assert model.calls == 1 and cheap.calls == 1 and decision.recall


# --- sync and async paths ----------------------------------------------------------------------

async def test_async_path_uses_ainvoke() -> None:
    gate = LLMGate(SplitFake(sync_reply=NO_RECALL_REPLY, async_reply=RECALL_REPLY))
    assert (await gate.adecide(COOK, [])).recall
    assert not gate.decide(COOK, []).recall


async def test_async_failure_falls_back_too() -> None:
    gate = LLMGate(SplitFake(sync_reply=RECALL_REPLY, async_reply="garbage"), on_error="ignore")
    decision = await gate.adecide(COOK, [])
    assert decision.score == 0.5 and "fallback" in decision.reason


# --- construction ------------------------------------------------------------------------------

def test_model_string_goes_through_init_chat_model_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import langchain.chat_models

    seen: list[str] = []

    def init_chat_model(name: str) -> BaseChatModel:
        seen.append(name)
        return fake(RECALL_REPLY, NO_RECALL_REPLY)

    monkeypatch.setattr(langchain.chat_models, "init_chat_model", init_chat_model)
    gate = LLMGate("openai:gpt-4.1-mini")
    assert gate.decide(COOK, []).recall and not gate.decide(COOK, []).recall
    assert seen == ["openai:gpt-4.1-mini"]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"band": (0.8, 0.1)}, "band"),
    ({"band": (0.1, 1.5)}, "band"),
    ({"max_queries": -1}, "max_queries"),
    ({"on_error": "explode"}, "on_error"),
    ({"prompt": "Should I recall?"}, r"\{message\}"),
    ({"prompt": "{message} {user}"}, "only use the fields"),
    ({"prompt": "{message} {"}, "doubled"),
])
def test_bad_options_name_the_fix(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        LLMGate(fake(), **kwargs)


def test_bad_model_or_cascade_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="chat model"):
        LLMGate(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cascade"):
        LLMGate(fake(), cascade=object())  # type: ignore[arg-type]


def test_custom_prompt_fields() -> None:
    model = fake(RECALL_REPLY)
    LLMGate(model, prompt="Up to {max_queries}. Last: {recent}. Now: {message}. {{braces}}").decide(COOK, [])
    assert model.received[0][0].content.startswith(f"Up to 3. Last: (none). Now: {COOK}. {{braces}}")


def test_default_prompt_names_every_field() -> None:
    for field in ("{message}", "{recent}", "{max_queries}", "recall", "confidence", "queries", "reason"):
        assert field in DEFAULT_LLM_GATE_PROMPT


# --- ChatOpenAI over real HTTP, against a loopback stub -----------------------------------------

class _StubHandler(BaseHTTPRequestHandler):
    server: _StubServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path != "/v1/chat/completions":
            self.send_error(404, f"stub serves /v1/chat/completions only, not {self.path}")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        arguments = json.dumps(self.server.decision)
        if body.get("tools"):  # with_structured_output by function calling
            name = body["tools"][0]["function"]["name"]
            message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_stub", "type": "function", "function": {"name": name, "arguments": arguments}}]}
            finish = "tool_calls"
        else:  # json_schema response format, or plain text
            message, finish = {"role": "assistant", "content": arguments}, "stop"
        data = json.dumps({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": body.get("model", "stub"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output clean


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, decision: dict[str, Any]) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.decision = decision
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def stub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_StubServer]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # loopback only, whatever proxy the environment sets
    server = _StubServer(json.loads(RECALL_REPLY))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _prompt_of(request: dict[str, Any]) -> str:
    return "\n".join(m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
                     for m in request["messages"])


# "stub" gets ChatOpenAI's default json_schema structured output (a JSON text reply); "gpt-4" is one it
# switches to function calling (a tool_calls reply), with a warning.
@pytest.mark.parametrize(("model_name", "uses_tools"), [("stub", False), ("gpt-4", True)])
async def test_chat_openai_over_http(stub_server: _StubServer, model_name: str, uses_tools: bool) -> None:
    from langchain_openai import ChatOpenAI

    port = stub_server.server_address[1]
    model = ChatOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="test", model=model_name, max_retries=0,
                       timeout=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Cannot use method='json_schema' with model gpt-4"
        gate = LLMGate(model, on_error="raise")
    assert gate.structured_output
    expected = RecallDecision(recall=True, score=0.85, reason="llm: asks for a personal recommendation",
                              queries=[COOK, "dietary restrictions", "food preferences"])
    assert gate.decide(COOK, [HumanMessage("I just got back from the market.")]) == expected
    assert await gate.adecide(COOK, []) == expected
    assert len(stub_server.requests) == 2
    for request in stub_server.requests:
        assert request["model"] == model_name
        assert COOK in _prompt_of(request)
        assert bool(request.get("tools")) == uses_tools
        assert uses_tools or request["response_format"]["type"] == "json_schema"
    assert "user: I just got back from the market." in _prompt_of(stub_server.requests[0])


def test_chat_openai_unreachable_falls_back(stub_server: _StubServer) -> None:
    from langchain_openai import ChatOpenAI

    port = stub_server.server_address[1]
    model = ChatOpenAI(base_url=f"http://127.0.0.1:{port}/wrong", api_key="test", model="stub", max_retries=0,
                       timeout=10)
    decision = LLMGate(model, on_error="ignore").decide(COOK, [])
    assert decision.recall and decision.queries == [COOK] and "call failed" in decision.reason


# --- in a Recaller, on the real embedded mem0 ---------------------------------------------------

@pytest.mark.integration
async def test_recaller_searches_the_rewritten_queries_and_nothing_on_no_recall(counting: Any, user_id: str) -> None:
    from mem0_langgraph.core.recall import Recaller

    fact = "I'm vegetarian and allergic to peanuts."
    counting.add([{"role": "user", "content": fact}], ids={"user_id": user_id})
    config = {"configurable": {"user_id": user_id}}
    reply = json.dumps({"recall": True, "confidence": 0.95, "queries": ["dietary restrictions", "food allergies"]})

    counting.calls.clear()
    quiet = Recaller(counting, gate=LLMGate(fake(NO_RECALL_REPLY)), on_error="raise")
    assert quiet.recall([HumanMessage("What is the capital of Australia?")], config).memories == []
    assert counting.calls.get("search", 0) == 0  # confidence 0.05: under the probe band, nothing searched

    recaller = Recaller(counting, gate=LLMGate(fake(reply)), on_error="raise")
    result = await recaller.arecall([HumanMessage(COOK)], config)
    assert counting.calls["search"] == 3  # the message and the two rewritten queries
    assert result.trace["queries"] == [COOK, "dietary restrictions", "food allergies"]
    assert [m["memory"] for m in result.memories] == [fact]
