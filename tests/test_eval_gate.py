"""The gate benchmark: loaders and split on small hand-made files, then a short real run on the dev data."""

from __future__ import annotations

import doctest
import gzip
import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0_langgraph.cli.main import main  # noqa: E402
from mem0_langgraph.eval import (  # noqa: E402
    LONGMEMEVAL_FILE,
    _metrics,
    gate_examples,
    gate_sets,  # noqa: E402
    load_locomo,
    load_longmemeval,
    locomo,
    paths,
    run_gate_eval,
)
from mem0_langgraph.eval import gate as eval_gate  # noqa: E402
from mem0_langgraph.eval import longmemeval as data  # noqa: E402
from mem0_langgraph.eval.longmemeval import split_of  # noqa: E402

DATA_DIR = Path(os.environ.get("MEM0_LANGGRAPH_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
LONGMEMEVAL = DATA_DIR / LONGMEMEVAL_FILE
needs_data = pytest.mark.skipif(not LONGMEMEVAL.is_file(),
                                reason=f"evaluation data not found at {LONGMEMEVAL} (set MEM0_LANGGRAPH_DATA)")


def _ids(side: str, n: int, suffix: str = "") -> list[str]:
    return [i for i in (f"q{k}{suffix}" for k in range(200)) if split_of(i) == side][:n]


def _session(*turns: tuple[str, str]) -> list[dict]:
    return [{"role": r, "content": c} for r, c in turns]


@pytest.fixture()
def tiny_longmemeval(tmp_path: Path) -> Path:
    (train_id,), (held_id,) = _ids("train", 1), _ids("holdout", 1, "_abs")
    shared = _session(("user", "Explain recursion."), ("assistant", "..."))
    items = [
        {"question_id": train_id, "question": "Where did I park?", "question_type": "single-session-user",
         "answer": 3, "haystack_session_ids": ["ultrachat_1", "sharegpt_a_0", "sharegpt_b_3", "abc123_1", "answer_x_1"],
         "haystack_dates": ["d"] * 5,
         "haystack_sessions": [shared, _session(("user", "Fix my SQL.")),
                               _session(("assistant", "As I said above..."), ("user", "Do the next one.")),
                               _session(("user", "I'm planning a trip with my kids.")),
                               _session(("user", "I parked on level 3."))]},
        {"question_id": held_id, "question": "What is my cat's name?",
         "haystack_session_ids": ["ultrachat_1", "sharegpt_c_0"], "haystack_sessions": [shared, _session()]},
        {"question_id": train_id, "question": "duplicate id"},
        {"question": "no id"},
        "not an object",
    ]
    path = tmp_path / "lme.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(items, f)
    return path


def test_split_is_deterministic_and_about_seventy_thirty() -> None:
    ids = [f"{k:08x}" for k in range(2000)]
    sides = [split_of(i) for i in ids]
    assert sides == [split_of(i) for i in ids]
    assert 0.27 < sides.count("holdout") / len(ids) < 0.33


def test_session_kinds() -> None:
    kinds = [data.session_kind(s) for s in ("answer_4be1b6b4_2", "sharegpt_yhk_0", "ultrachat_9", "86c8f348_1", "e3d8")]
    assert kinds == ["answer", "generic", "generic", "personal", "personal"]


def test_longmemeval_loader_skips_and_counts(tiny_longmemeval: Path) -> None:
    loaded = load_longmemeval(tiny_longmemeval)
    assert [q.question for q in loaded.questions] == ["Where did I park?", "What is my cat's name?"]
    assert loaded.questions[0].answer == "3" and loaded.questions[1].is_abstention
    assert loaded.skipped == {"question: duplicate id": 1, "question: no id": 1, "question: not an object": 1}


def test_gate_examples_keep_held_out_texts_out_of_training(tiny_longmemeval: Path) -> None:
    questions = load_longmemeval(tiny_longmemeval).questions
    train, skipped = gate_examples(questions, split="train")
    assert [(e.kind, e.text) for e in train] == [
        ("question", "Where did I park?"),
        ("generic", "Fix my SQL."),
        ("personal", "I'm planning a trip with my kids."),
    ]
    assert skipped == {"generic: also in a held-out haystack": 1,
                       "generic session: opens with an assistant turn (a continuation)": 1}
    held, skipped = gate_examples(questions, split="holdout")
    assert [(e.kind, e.text, e.abstention) for e in held] == [
        ("question", "What is my cat's name?", True), ("generic", "Explain recursion.", False)]
    assert skipped == {"generic session: empty": 1}
    both, _ = gate_examples(questions, split="all")
    recursion = next(e for e in both if e.text == "Explain recursion.")
    assert len(recursion.question_ids) == 2
    assert len(gate_examples(questions, split="all", limit=1)[0]) < len(both)
    with pytest.raises(ValueError, match="split must be"):
        gate_examples(questions, split="test")  # type: ignore[arg-type]


def test_locomo_loader_handles_the_known_defects(tmp_path: Path) -> None:
    turns = [{"speaker": "A", "dia_id": "D1:1", "text": "Hi"}, {"speaker": "B", "dia_id": "D1:2", "text": "Yo",
                                                                  "blip_caption": "a dog"}]
    item = {"sample_id": "c1", "conversation": {"speaker_a": "A", "speaker_b": "B", "session_1": turns,
                                                "session_1_date_time": "1 May", "session_2_date_time": "2 May"},
            "qa": [{"question": "Q1", "answer": 2022, "evidence": ["D1:1; D1:2"], "category": 2},
                   {"question": "Q2", "answer": "x", "evidence": ["D", "D:11:26", "D1:05"], "category": 1},
                   {"question": "Q3", "evidence": ["D1:1"], "category": 5, "adversarial_answer": "no"},
                   {"question": "Q4"}]}
    path = tmp_path / "locomo.json"
    path.write_text(json.dumps([item]))
    loaded = load_locomo(path)
    conv = loaded.conversations[0]
    assert [s.date_time for s in conv.sessions] == ["1 May"] and conv.sessions[0].turns[1].blip_caption == "a dog"
    assert [(q.answer, q.evidence) for q in conv.qa] == [("2022", ("D1:1", "D1:2")), ("x", ()), ("", ("D1:1",))]
    assert loaded.skipped == {
        "session: date_time without a session": 1,
        "qa: numeric answer (made a string)": 1,
        "qa: evidence string holding several ids (split)": 1,
        "qa: malformed evidence id (dropped)": 2,
        "qa: evidence id of no turn (dropped)": 1,
        "qa: no evidence": 1,
        "qa: malformed": 1,
    }


def test_missing_data_file_names_the_readme(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="README"):
        load_longmemeval(tmp_path / "absent.json.gz")


def test_cli_reports_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "gate", "--data-dir", str(tmp_path)]) == 2
    assert "--data-dir" in capsys.readouterr().err


def test_metric_and_data_docstring_examples() -> None:
    for module in (_metrics, data, locomo, paths, eval_gate, gate_sets):
        globs = None
        if module is eval_gate:
            if not LONGMEMEVAL.is_file():
                continue
            # The example reads the data relative to the project root; point it at the data in use.
            globs = {**vars(module), "run_gate_eval": lambda _path, **kw: run_gate_eval(LONGMEMEVAL, **kw)}
        result = doctest.testmod(module, globs=globs)
        assert result.failed == 0, module.__name__


@pytest.fixture(scope="module")
def small_run() -> dict:
    if not LONGMEMEVAL.is_file():
        pytest.skip(f"evaluation data not found at {LONGMEMEVAL} (set MEM0_LANGGRAPH_DATA)")
    return run_gate_eval(LONGMEMEVAL, limit=10, progress=False)


@needs_data
def test_gate_eval_on_ten_held_out_questions(small_run: dict) -> None:
    assert small_run["split"] == "holdout" and small_run["limit"] == 10
    counts = small_run["counts"]
    assert counts["questions"] == 10 and counts["generic"] > 50 and counts["personal"] > 20
    assert set(small_run["gates"]) == {"AlwaysRecall", "NeverRecall", "RuleGate", "LearnedGate"}
    keys = {"recall", "recall_ci", "recall_answerable", "fire_rate_generic", "fire_rate_generic_ci",
            "fire_rate_personal", "auc", "latency_ms_p50", "latency_ms_p95"}
    for name, m in small_run["gates"].items():
        assert set(m) == keys, name
        for k in ("recall", "recall_answerable", "fire_rate_generic", "fire_rate_personal"):
            assert 0.0 <= m[k] <= 1.0, (name, k)
        assert m["recall_ci"][0] <= m["recall"] <= m["recall_ci"][1]
        assert 0.0 <= m["latency_ms_p50"] <= m["latency_ms_p95"] < 5000
    always, never = small_run["gates"]["AlwaysRecall"], small_run["gates"]["NeverRecall"]
    assert (always["recall"], always["fire_rate_generic"], always["auc"]) == (1.0, 1.0, None)
    assert (never["recall"], never["fire_rate_generic"], never["auc"]) == (0.0, 0.0, None)
    learned, rule = small_run["gates"]["LearnedGate"], small_run["gates"]["RuleGate"]
    assert 0.5 < rule["auc"] <= 1.0 and 0.9 < learned["auc"] <= 1.0
    assert learned["recall"] >= 0.8 and learned["fire_rate_generic"] <= 0.15
    assert json.loads(json.dumps(small_run)) is not None  # JSON-ready


@needs_data
def test_cli_prints_the_table_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "gate.json"
    code = main(["eval", "gate", "--data-dir", str(DATA_DIR), "--limit", "2", "--seed", "1", "--no-progress",
                 "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "| gate | recall (95% CI)" in printed and "| LearnedGate |" in printed
    saved = json.loads(out.read_text())
    assert saved["counts"]["questions"] == 2 and saved["seed"] == 1


ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ROOT / gate_sets.DEFAULT_FAMILIES


def _load_build_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gate_set", ROOT / "scripts" / "build_gate_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_families_are_well_formed_and_split_by_family() -> None:
    families = [json.loads(line) for line in FAMILIES.read_text().splitlines()]
    assert len({f["family"] for f in families}) == len(families)
    for f in families:
        assert f["label"] in (0, 1) and len(set(f["texts"])) == len(f["texts"]) >= 4, f["family"]
    texts = [t for f in families for t in f["texts"]]
    assert len(set(texts)) == len(texts)
    rows = gate_sets.load_families(FAMILIES, split="all")
    assert len(rows) == len(texts) and {r.split for r in rows} == {"dev", "holdout"}
    for family in {r.unit for r in rows}:
        assert len({r.split for r in rows if r.unit == family}) == 1  # a family never straddles the split
    assert len(gate_sets.load_families(FAMILIES, split="dev")) < len(gate_sets.load_families(FAMILIES))


def test_first_person_rewrite_of_locomo_questions() -> None:
    first_person = _load_build_script().first_person
    speakers = ("Caroline", "Melanie")
    assert first_person("When did Melanie paint a sunrise?", speakers) == "When did I paint a sunrise?"
    assert first_person("What is Caroline's identity?", speakers) == "What is my identity?"
    assert first_person("Does Caroline like hiking?", speakers) == "Do I like hiking?"
    assert first_person("What did Melanie give Caroline?", speakers) == "What did I give Caroline?"
    assert first_person("Who supports Caroline when she has a hard time?", speakers) == \
        "Who supports me when I have a hard time?"
    assert first_person("What is the name of the pet?", speakers) is None


def _tiny_public_set(tmp_path: Path) -> Path:
    rows = [("Where did I park?", "question", "train"), ("Remember the festival I told you about?", "refer_back",
                                                          "holdout"),
            ("What did I eat on my birthday?", "question", "holdout"), ("Explain tides.", "generic", "holdout"),
            ("Write a haiku.", "generic", "holdout"), ("My feet hurt; what helps?", "personal", "holdout"),
            ("A gift for my nephew?", "implicit", "holdout")]
    path = tmp_path / "public.jsonl"
    path.write_text("".join(json.dumps({"text": t, "kind": k, "source": "test", "unit": t, "split": s}) + "\n"
                            for t, k, s in rows))
    return path


def test_set_eval_counts_kinds_apart(tmp_path: Path) -> None:
    from mem0_langgraph.gates.base import AlwaysRecall, NeverRecall

    path = _tiny_public_set(tmp_path)
    assert len(gate_sets.load_public_set(path, split="all")) == 7
    result = eval_gate.run_set_eval("public", path, gates={"always": AlwaysRecall(), "never": NeverRecall()},
                                    progress=False)
    assert result["counts"] == {"question": 1, "refer_back": 1, "generic": 2, "personal": 1, "implicit": 1}
    always, never = result["gates"]["always"], result["gates"]["never"]
    assert (always["recall"], always["fire_rate_generic"], always["fire_rate_personal"], always["recall_implicit"]) \
        == (1.0, 1.0, 1.0, 1.0)
    assert (never["recall"], never["fire_rate_generic"]) == (0.0, 0.0)
    assert result["recall_by_source"]["never"] == {"generic:test": 0.0, "implicit:test": 0.0, "personal:test": 0.0,
                                                   "question:test": 0.0, "refer_back:test": 0.0}
    table = eval_gate.set_to_markdown(result)
    assert "| always | 1.000 [" in table and "| refer_back:test | 1.000 | 0.000 |" in table
    assert json.loads(json.dumps(result)) is not None


def test_cli_names_the_build_command_when_the_public_set_is_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "gate", "--set", "public", "--set-path", str(tmp_path / "absent.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "scripts/build_gate_set.py" in err and "inspect-evals" in err
    assert main(["eval", "gate", "--set", "families", "--split", "train"]) == 2
    assert "no train split" in capsys.readouterr().err


def test_cli_smoke_on_the_dev_families(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CI smoke of the second sets: the real LearnedGate on the dev third of the families."""
    out = tmp_path / "families.json"
    code = main(["eval", "gate", "--set", "families", "--families-path", str(FAMILIES), "--split", "dev",
                 "--no-progress", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "| LearnedGate |" in printed and "question:family:assistant_said" in printed
    saved = json.loads(out.read_text())
    assert saved["split"] == "dev" and saved["gates"]["AlwaysRecall"]["recall"] == 1.0
