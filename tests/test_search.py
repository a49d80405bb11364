"""The tightness search and the corpus: determinism, order, replay, the CLI, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from verif import cli, search


def test_worst_cases_is_deterministic_and_sorted() -> None:
    a = search.worst_cases("E7", budget=12, seed=4, top=4)
    b = search.worst_cases("E7", budget=12, seed=4, top=4)
    assert [r.ratio for r in a] == [r.ratio for r in b]
    assert [r.config for r in a] == [r.config for r in b]
    assert [r.ratio for r in a] == sorted((r.ratio for r in a), reverse=True)
    assert 1 <= len(a) <= 4 and len({r.ratio for r in a}) == len(a)
    assert all(r.claim_id == "E7" and r.passed for r in a)


def test_a_result_replays_exactly_from_its_entry(tmp_path: Path) -> None:
    best = search.worst_cases("E15", budget=6, seed=1, top=1)[0]
    item = search.entry(best, {"budget": 6, "seed": 1})
    assert item["version"] and item["backend"] == "numpy" and "X" in item["options"]
    search.save_corpus({"E15": [item]}, tmp_path)
    loaded = search.load_corpus(tmp_path)
    assert list(loaded) == ["E15"]
    again = search.replay(loaded["E15"][0])
    assert again.ratio == pytest.approx(best.ratio, rel=1e-12)
    assert again.config == best.config


def test_more_budget_never_finds_less() -> None:
    small = search.worst_cases("E3", budget=4, seed=0, top=1)[0].ratio
    large = search.worst_cases("E3", budget=40, seed=0, top=1)[0].ratio
    assert large >= small


def test_merge_keeps_the_largest_ratios() -> None:
    base = {"config": {"width": 2}, "seed": 0, "backend": "numpy", "inputs": {}}
    base["options"] = {"kind": "corner"}
    items = [dict(base, seed=k, ratio=r) for k, r in enumerate([0.1, 0.5, 0.3])]
    merged = search.merge(items[:2], [items[2], dict(items[0], ratio=0.2)], keep=2)
    assert [e["ratio"] for e in merged] == [0.5, 0.3]


def test_cli_search_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["search", "--claims", "E5", "--budget", "4", "--top", "2", "--write", "--corpus", str(tmp_path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "E5 ratio:" in out and "wrote" in out
    entries = json.loads((tmp_path / "E5.json").read_text())
    # Two entries per objective at most: the overall ratio and the late one in each regime.
    assert 1 <= len(entries) <= 2 * len(search.objectives("E5")) and entries[0]["claim_id"] == "E5"
    regimes = {e["found_by"].get("regime") for e in entries}
    assert regimes == {None, *search.REGIMES}


def test_the_late_objective_stays_in_its_regime_at_long_sequences() -> None:
    for regime in search.REGIMES:
        found = search.worst_cases("E3", budget=6, seed=3, top=3, part="ratio_late", regime=regime)
        assert found
        for res in found:
            assert search.regime(res.config) == regime and res.config.seq_len in search.LATE_SEQ_LENS
            assert 0 <= res.details["ratio_late"] <= res.ratio
        values = [search.score(r, "ratio_late") for r in found]
        assert values == sorted(values, reverse=True)


def test_cli_search_runs_the_named_objectives_only(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["search", "--claims", "E3", "--budget", "2", "--top", "1", "--objectives", "ratio_late@above"]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.strip().splitlines()[0].startswith("E3 ratio_late@above: ")
    assert cli.main([*argv[:-1], "ratio_late@nowhere"]) == 2
    assert "--objectives must be among" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"claim_id": "E1"}, "claim_id must be one of"),
        ({"claim_id": "E7", "budget": 0}, "budget must be"),
        ({"claim_id": "E7", "top": 0}, "top must be"),
    ],
)
def test_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        search.worst_cases(**kwargs)  # type: ignore[arg-type]


def test_cli_refuses_an_unknown_claim(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["search", "--claims", "E100", "--budget", "1"]) == 2
    assert "--claims must name claims" in capsys.readouterr().err


def test_make_inputs_refuses_bad_law() -> None:
    from verif.config import RNNConfig

    with pytest.raises(ValueError, match="input law"):
        search.make_inputs(RNNConfig(width=2, input_dim=1, seq_len=1, memory_alpha=0.5), 1, 0, "cube", 1.0)


def test_a_part_has_its_own_search() -> None:
    found = search.worst_cases("E4", budget=6, seed=2, top=2, part="ratio_neuron_g")
    values = [search.score(r, "ratio_neuron_g") for r in found]
    assert values == sorted(values, reverse=True)
    with pytest.raises(ValueError, match="part must be one of"):
        search.worst_cases("E7", budget=2, part="ratio_neuron_g")
