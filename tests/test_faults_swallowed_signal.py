"""A stop signal that lands inside a gc callback (Hypothesis registers one) is not lost.

Python cannot propagate an exception out of a gc callback: it printed "Exception ignored in"
and the :class:`verif.interrupts.Interrupted` of the signal was gone, so the process kept
running (a ``verif conform`` child until the parent's grace period ended it). Now the signal
is sent again and the stop raised at the next point that can.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import verif
from verif import exit_status

ROOT = Path(verif.__file__).resolve().parents[1]

CHILD = """
import gc, sys, time
from verif import interrupts

calls = []

def hook(phase, info):
    if phase == "start":
        calls.append(1)
        if len(calls) == 1:
            print("in gc", flush=True)
            time.sleep(1.0)  # the signal's handler runs here, inside the callback

gc.callbacks.append(hook)
try:
    with interrupts.stop_on_signals():
        while True:
            gc.collect()
            time.sleep(0.001)
except interrupts.Interrupted as exc:
    print("stopped", exc.name, flush=True)
    sys.exit(exc.status)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_inside_a_gc_callback_still_stops(sig: signal.Signals) -> None:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "in gc\n"
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the stop was lost: the process kept running")
    assert out == f"stopped {sig.name}\n", err
    assert (
        proc.returncode
        == {signal.SIGINT: exit_status.INTERRUPTED, signal.SIGTERM: exit_status.TERMINATED}[sig]
    )
    assert "Exception ignored" not in err, err
