"""The repository stands alone: every theory reference resolves in ``docs/theory.md``.

Docstrings, tests and the README cite the theory by name: ``THEORY 4`` or ``THEORY section 4``
(also ``THEORY sections 1, 5, 6`` and ``1-5``) for a numbered section, ``B6`` for a bound, ``E7``
for a claim, ``X3`` for an exhibit. Each must be a heading of ``docs/theory.md``. No tracked file
may point at a contract kept outside the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory.md"
GUIDE = ROOT / "docs" / "adding-a-claim.md"
SCANNED_DIRS = ("verif", "properties", "tests", "asv_bench")
SCANNED_FILES = ("README.md", "docs/theory.md")
SUFFIXES = (".py", ".md")

#: ``THEORY 4``, ``THEORY section 7``, ``THEORY sections 1, 5, 6``, ``THEORY sections 4 and 8``,
#: ``THEORY sections 1-5``: a list of numbers and ranges after the word THEORY.
SECTION_REF = re.compile(r"\bTHEORY(?:\s+sections?)?\s+(\d+(?:\s*(?:,|-|\u2013|and)\s*\d+)*)")
#: ``B<k>`` and ``E<k>`` (k < 100), ``X<k>`` (k < 10) as whole words, upper case only: ruff codes
#: (``E741``), exponents (``1e-12``, ``1E-3``) and names such as ``X64`` or ``B1_L_w`` do not match.
ID_REF = re.compile(r"(?<![\w.])(B[1-9]\d?|E[1-9]\d?|X[1-9])(?![\w.]?\w)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def defined_names(text: str) -> tuple[set[int], set[str]]:
    """Section numbers (``## 4. ...``) and ids (``### B6 ...``) defined by the headings of ``text``."""
    sections: set[int] = set()
    ids: set[str] = set()
    for heading in HEADING.findall(text):
        number = re.match(r"(\d+)\.\s", heading)
        if number:
            sections.add(int(number.group(1)))
        ident = re.match(r"([BEX]\d+)\b", heading)
        if ident:
            ids.add(ident.group(1))
    return sections, ids


def _expand(numbers: str) -> list[int]:
    """``"1, 5, 6"`` -> [1, 5, 6]; ``"1-5"`` -> [1, ..., 5]; ``"4 and 8"`` -> [4, 8]."""
    out: list[int] = []
    for part in re.split(r"\s*(?:,|and)\s*", numbers):
        lo, _, hi = re.sub(r"\s", "", part).replace("\u2013", "-").partition("-")
        out.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return out


def references(text: str) -> Iterator[tuple[int, str]]:
    """``(line, name)`` for every theory reference in ``text``: ``"THEORY 4"``, ``"B6"``, ..."""

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos) + 1

    for match in SECTION_REF.finditer(text):
        for number in _expand(match.group(1)):
            yield line_of(match.start()), f"THEORY {number}"
    for match in ID_REF.finditer(text):
        yield line_of(match.start()), match.group(1)


def dangling(text: str, sections: set[int], ids: set[str]) -> list[tuple[int, str]]:
    """The references of ``text`` that no heading defines."""
    out = []
    for line, name in references(text):
        known = int(name.split()[1]) in sections if name.startswith("THEORY") else name in ids
        if not known:
            out.append((line, name))
    return out


def scanned_files() -> list[Path]:
    files = [ROOT / f for f in SCANNED_FILES]
    for d in SCANNED_DIRS:
        files += sorted(p for p in (ROOT / d).rglob("*") if p.suffix in SUFFIXES and p.is_file())
    return files


def test_theory_defines_every_section_bound_claim_and_exhibit() -> None:
    sections, ids = defined_names(THEORY.read_text(encoding="utf-8"))
    assert sections == set(range(1, 10))
    assert {f"B{k}" for k in range(1, 11)} <= ids
    assert {f"E{k}" for k in range(1, 18)} <= ids
    assert {f"X{k}" for k in range(1, 8)} <= ids


def test_every_theory_reference_resolves() -> None:
    sections, ids = defined_names(THEORY.read_text(encoding="utf-8"))
    problems = []
    count = 0
    for path in scanned_files():
        text = path.read_text(encoding="utf-8")
        count += sum(1 for _ in references(text))
        for line, name in dangling(text, sections, ids):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    assert count > 100, f"only {count} references found: is the scan looking in the right places?"
    assert not problems, "references that docs/theory.md does not define:\n" + "\n".join(problems)


def test_reference_extraction() -> None:
    # built from pieces so that this file holds no dangling reference of its own
    b, e, x, th = "B", "E", "X", "THEORY"
    text = (
        f"{th} 4 and {th} section 7; {th} sections 1, 5, 6\n"
        f"{th} sections 1-3, {th} sections 4 and 8 ({b}6, {e}13, {x}3)\n"
        f"ignored: {e}741 ruff, 1{e}-12 and 1e-12, {x}64 = X, {b}1_L_w, {e}7x, v{e}2, {th}'s 4e5\n"
        f"{b}6. {e}99 {x}9 {th} 12"
    )
    found = list(references(text))
    assert found == [
        (1, f"{th} 4"),
        (1, f"{th} 7"),
        (1, f"{th} 1"),
        (1, f"{th} 5"),
        (1, f"{th} 6"),
        (2, f"{th} 1"),
        (2, f"{th} 2"),
        (2, f"{th} 3"),
        (2, f"{th} 4"),
        (2, f"{th} 8"),
        (4, f"{th} 12"),
        (2, f"{b}6"),
        (2, f"{e}13"),
        (2, f"{x}3"),
        (4, f"{b}6"),
        (4, f"{e}99"),
        (4, f"{x}9"),
    ]
    sections, ids = defined_names(THEORY.read_text(encoding="utf-8"))
    assert dangling(text, sections, ids) == [(4, f"{th} 12"), (4, f"{e}99"), (4, f"{x}9")]


def test_headings_are_parsed() -> None:
    text = "# Title\n## 4. Memory and the cutoff\n### B6 linearization\n#### E12 training\nB7 body\n"
    assert defined_names(text) == ({4}, {"B6", "E12"})


def _tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_no_file_points_outside_the_repository() -> None:
    # this file has to spell out what it looks for
    outside = ("../" + "shared", "THEORY" + ".md")
    hits = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for k, line in enumerate(text.splitlines(), start=1):
            hits += [f"{path.relative_to(ROOT)}:{k}: {word}" for word in outside if word in line]
    assert not hits, "the contract is docs/theory.md, inside the repository:\n" + "\n".join(hits)


def test_readme_links_the_documents() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for doc in (THEORY, GUIDE):
        assert doc.is_file(), f"{doc.relative_to(ROOT)} is missing"
        assert f"]({doc.relative_to(ROOT).as_posix()}" in readme, f"README does not link {doc.name}"
