"""``verif search``: each text line read back against ``--json`` of the same search.

A line ``E4 ratio_neuron_g: 0.51, 0.43`` lists, per objective, the score of each configuration
found: the overall ratio for ``ratio``, the part's ratio for a part (``ratio_neuron_g``, the late
ratio for ``ratio_late@above``), largest first, as ``--json`` records them.
"""

from __future__ import annotations

import json
import math

import pytest

from verif import cli


@pytest.mark.parametrize(
    "argv",
    [
        [
            "--claims",
            "E4",
            "--budget",
            "3",
            "--top",
            "2",
            "--seed",
            "2",
            "--objectives",
            "ratio",
            "ratio_neuron_g",
        ],
        ["--claims", "E3", "--budget", "2", "--top", "2", "--objectives", "ratio_late@above"],
    ],
    ids=["E4-part", "E3-late"],
)
def test_the_text_lists_the_scores_of_the_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["search", *argv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert cli.main(["search", *argv]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    wanted = argv[argv.index("--objectives") + 1 :]
    claim = argv[1]
    assert list(found) == [f"{claim} {name}" for name in wanted]
    assert [ln.split(": ")[0] for ln in lines] == list(found)
    for line, (key, results) in zip(lines, found.items(), strict=True):
        name = key.split(" ", 1)[1]
        part = name.split("@")[0]
        scores = [float(r["ratio"] if part == "ratio" else r["details"][part]) for r in results]
        assert results and all(math.isfinite(s) for s in scores), key
        printed = [float(v) for v in line.split(": ", 1)[1].split(", ")]
        assert printed == pytest.approx(scores, rel=5.1e-4), key  # four significant digits
        assert scores == sorted(scores, reverse=True), key
