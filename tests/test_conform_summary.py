"""``verif conform``'s last line and exit status against the per-claim verdicts it was given.

For every mix of claim verdicts (pass, FAIL, skipped outside the declared capabilities, not
run, not in the suite), with or without ``--claims``, the summary must say what the module
docstring of :mod:`verif.conform` says: exit 0 only when nothing that was asked for failed or
went unrun and something held; every failed claim named; ``conforms`` only for the whole
suite run in full; a subset never called a conformance verdict.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from verif import claims
from verif.backends import capabilities
from verif.conform import summary
from verif.testing.plugin import ConformancePlugin

IDS = claims.ids()
N = len(IDS)
STATES = ("pass", "FAIL", "skipped", "not run", "absent")


def _plugin(states: dict[str, str], selected: tuple[str, ...] | None) -> ConformancePlugin:
    plugin = ConformancePlugin("mine:RNN", selected=selected)
    plugin.capabilities = capabilities.declared(None)
    for cid, state in states.items():
        if state == "absent":  # the suite holds no test of it
            continue
        plugin.collected.add(cid)
        v = plugin.verdicts[cid]
        if state == "skipped":
            v.skipped_tests[f"{cid}::t"] = "sigmoid: not supported by the backend"
        elif state in ("pass", "FAIL"):
            v.nodes.append(f"{cid}::t")
            if state == "FAIL":
                v.failed.append(f"{cid}::t")
    return plugin


@st.composite
def runs(draw: st.DrawFn) -> tuple[dict[str, str], tuple[str, ...] | None]:
    selected = draw(st.none() | st.lists(st.sampled_from(IDS), min_size=1, unique=True).map(tuple))
    wanted = selected or tuple(IDS)
    # Mostly one state, a few others: the cases that decide a line (one failure among passes).
    common = draw(st.sampled_from(STATES))
    states = {cid: common for cid in wanted}
    for cid in draw(st.lists(st.sampled_from(wanted), max_size=4)):
        states[cid] = draw(st.sampled_from(STATES))
    return states, selected


@settings(max_examples=300, deadline=None)
@given(runs(), st.booleans())
def test_the_line_and_the_exit_status_follow_the_verdicts(
    run: tuple[dict[str, str], tuple[str, ...] | None], stopped: bool
) -> None:
    states, selected = run
    line, code = summary(_plugin(states, selected), "mine:RNN", "ci", stopped=stopped)
    wanted = list(selected or IDS)
    of = {s: [c for c in wanted if states[c] == s] for s in STATES}
    # A claim asked for that did not run: collected without a test, or named by --claims and absent.
    unrun = [c for c in wanted if states[c] == "not run" or (states[c] == "absent" and selected)]
    whole = selected is None and not of["absent"]
    assert code in (0, 1)
    if of["FAIL"]:
        assert code == 1
        assert line.startswith(f"mine:RNN does not conform: {', '.join(of['FAIL'])} failed, ")
        assert f" failed, {len(of['pass'])} passed (" in line
    if unrun:
        assert code == 1
        assert f"{', '.join(unrun)} not run" in line or f"{', '.join(unrun)} did not run" in line
    if not of["FAIL"] and not unrun:
        assert code == (0 if of["pass"] else 1), line
    if code == 0:
        assert of["pass"] and not of["FAIL"] and not unrun
    if of["skipped"]:
        assert f"{', '.join(of['skipped'])} skipped: outside the backend's declared capabilities" in line
    assert ("conforms" in line) == (whole and code == 0), line
    if "conforms" in line:
        assert line.startswith(f"mine:RNN conforms: {len(of['pass'])} of {N} pass")
    assert ("not a conformance verdict" in line) == (not whole), line
    if not whole:
        ran = len([c for c in wanted if states[c] != "absent"])
        assert f"subset: {ran} of {N} claims run" in line
        if not of["FAIL"]:
            assert line.startswith(f"mine:RNN: {', '.join(of['pass']) or 'no claim'} pass")
    assert line.endswith("profile ci)")
