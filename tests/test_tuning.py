"""The JAX reverse pass's block sizes: cache sizes from a fake sysfs tree, overrides, cache file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verif.backends import jax_backend, tuning


def fake_sysfs(root: Path, caches: list[tuple[int, str, str]]) -> Path:
    """``root/index<i>/{level,type,size}`` for each ``(level, type, size)``, as Linux lays them out."""
    for i, (level, kind, size) in enumerate(caches):
        d = root / f"index{i}"
        d.mkdir(parents=True)
        (d / "level").write_text(f"{level}\n")
        (d / "type").write_text(f"{kind}\n")
        (d / "size").write_text(f"{size}\n")
    return root


XEON = [(1, "Data", "48K"), (1, "Instruction", "32K"), (2, "Unified", "1280K"), (3, "Unified", "54M")]
EPYC = [(1, "Data", "32K"), (1, "Instruction", "32K"), (2, "Unified", "1024K"), (3, "Unified", "32768K")]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache"), **extra}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1024K", 2**20),
        ("32K", 32 * 2**10),
        ("2M", 2 * 2**20),
        ("65536", 65536),
        ("64KiB", 65536),
        (" 8k\n", 8192),
    ],
)
def test_parse_size(text: str, expected: int) -> None:
    assert tuning.parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "K", "-4K", "0", "1.5M", "12x", "64 KB extra"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="size must be a positive number of bytes"):
        tuning.parse_size(text)


def test_sysfs_caches_reads_data_and_unified_levels(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "cache", XEON)
    assert tuning.sysfs_caches(root) == {1: 48 * 2**10, 2: 1280 * 2**10, 3: 54 * 2**20}
    assert tuning.cache_sizes(root) == ({1: 48 * 2**10, 2: 1280 * 2**10, 3: 54 * 2**20}, "sysfs")


def test_sysfs_caches_skip_broken_entries(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "cache", [(1, "Data", "32K"), (2, "Unified", "garbage")])
    (root / "index2").mkdir()  # an entry without files
    assert tuning.sysfs_caches(root) == {1: 32 * 2**10}
    assert tuning.sysfs_caches(tmp_path / "missing") == {}


@pytest.mark.parametrize(
    ("l2", "block"),
    [
        (1024 * 2**10, 64 * 2**10),
        (1280 * 2**10, 64 * 2**10),
        (2 * 2**20, 128 * 2**10),
        (256 * 2**10, 16 * 2**10),
        (64 * 2**10, tuning.MIN_BLOCK_BYTES),
        (2**30, tuning.MAX_BLOCK_BYTES),
    ],
)
def test_block_bytes_for_l2(l2: int, block: int) -> None:
    assert tuning.block_bytes_for_l2(l2) == block


def test_choice_follows_the_reported_l2(tmp_path: Path) -> None:
    xeon = tuning.choose("float64", clean_env(tmp_path), fake_sysfs(tmp_path / "a", XEON))
    epyc = tuning.choose("float64", clean_env(tmp_path), fake_sysfs(tmp_path / "b", EPYC))
    big = tuning.choose("float64", clean_env(tmp_path), fake_sysfs(tmp_path / "c", [(2, "Unified", "2M")]))
    assert (xeon.block_bytes, xeon.parallel_blocks) == (64 * 2**10, 1)
    assert "L2 1280 KiB" in xeon.source and "sysfs" in xeon.source
    assert epyc.block_bytes == 64 * 2**10 and big.block_bytes == 128 * 2**10


def test_choice_without_caches_uses_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tuning, "sysconf_caches", dict)
    choice = tuning.choose("float64", clean_env(tmp_path), tmp_path / "no-sysfs")
    assert choice.block_bytes == tuning.block_bytes_for_l2(tuning.FALLBACK_L2_BYTES)
    assert "no L2 reported" in choice.source


def test_environment_overrides(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "s", EPYC)
    both = tuning.choose(
        "float64", clean_env(tmp_path, VERIF_BLOCK_BYTES="128K", VERIF_PARALLEL_BLOCKS="3"), root
    )
    assert (both.block_bytes, both.parallel_blocks) == (128 * 2**10, 3)
    assert "VERIF_BLOCK_BYTES=128K" in both.source and "VERIF_PARALLEL_BLOCKS=3" in both.source
    one = tuning.choose("float64", clean_env(tmp_path, VERIF_PARALLEL_BLOCKS="2"), root)
    assert (one.block_bytes, one.parallel_blocks) == (64 * 2**10, 2)
    blank = tuning.choose("float64", clean_env(tmp_path, VERIF_BLOCK_BYTES=""), root)
    assert blank == tuning.choose("float64", clean_env(tmp_path), root)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VERIF_BLOCK_BYTES", "big"),
        ("VERIF_BLOCK_BYTES", "0"),
        ("VERIF_BLOCK_BYTES", "-1"),
        ("VERIF_PARALLEL_BLOCKS", "0"),
        ("VERIF_PARALLEL_BLOCKS", "two"),
        ("VERIF_PARALLEL_BLOCKS", "1.5"),
        ("VERIF_PARALLEL_BLOCKS", "4K"),
    ],
)
def test_bad_override_names_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{name} must be a positive"):
        tuning.choose("float64", clean_env(tmp_path, **{name: value}), fake_sysfs(tmp_path / "s", EPYC))


def test_cache_file_location(tmp_path: Path) -> None:
    assert tuning.cache_file({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "verif" / "blocks.json"
    assert tuning.cache_file({}) == Path.home() / ".cache" / "verif" / "blocks.json"


def test_autotune_round_trip(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "s", EPYC)
    env = clean_env(tmp_path)
    timed: list[tuple[int, int]] = []

    def fake_timer(choice: tuning.BlockChoice) -> float:
        timed.append((choice.block_bytes, choice.parallel_blocks))
        return abs(choice.block_bytes - 128 * 2**10) + choice.parallel_blocks  # fastest: 128 KiB, 1

    best = tuning.autotune("float32", fake_timer, env, root)
    assert (
        len(timed)
        == len(tuning.AUTOTUNE_BLOCK_BYTES) * len(tuning.AUTOTUNE_PARALLEL) * tuning.AUTOTUNE_ROUNDS
    )
    assert (best.block_bytes, best.parallel_blocks) == (128 * 2**10, 1)
    path = tuning.cache_file(env)
    table = json.loads(path.read_text())
    assert table[tuning.machine_key(root)]["float32"]["block_bytes"] == 128 * 2**10
    again = tuning.choose("float32", env, root)
    assert (again.block_bytes, again.parallel_blocks) == (128 * 2**10, 1) and "autotuned" in again.source
    # the cached choice is per dtype and per machine: float64 and another machine keep the rule
    assert tuning.choose("float64", env, root).block_bytes == 64 * 2**10
    other = fake_sysfs(tmp_path / "other", XEON)
    assert "autotuned" not in tuning.choose("float32", env, other).source
    # an override still beats the cached choice
    assert tuning.choose("float32", {**env, "VERIF_BLOCK_BYTES": "16K"}, root).block_bytes == 16 * 2**10
    assert not list(path.parent.glob(".blocks-*"))  # no temporary file left behind


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2]",
        '{"KEY": "x"}',
        '{"KEY": {"float64": {"block_bytes": -3, "parallel_blocks": 1}}}',
        '{"KEY": {"float64": {"block_bytes": "64K", "parallel_blocks": 1}}}',
        "",
    ],
)
def test_corrupt_cache_file_is_ignored(tmp_path: Path, content: str) -> None:
    root = fake_sysfs(tmp_path / "s", EPYC)
    env = clean_env(tmp_path)
    path = tuning.cache_file(env)
    path.parent.mkdir(parents=True)
    path.write_text(content.replace("KEY", tuning.machine_key(root).replace('"', '\\"')))
    choice = tuning.choose("float64", env, root)
    assert choice == tuning.from_caches(root)


def test_unreadable_cache_file_is_ignored(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "s", EPYC)
    env = clean_env(tmp_path)
    tuning.cache_file(env).mkdir(parents=True)  # a folder where the file should be
    assert tuning.choose("float64", env, root) == tuning.from_caches(root)


def test_failed_save_leaves_the_old_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "verif" / "blocks.json"
    tuning.save_cache(path, {"a": 1})

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tuning.json, "dump", full_disk)
    with pytest.raises(OSError, match="No space"):
        tuning.save_cache(path, {"b": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in path.parent.iterdir()] == ["blocks.json"]


def test_backend_uses_module_settings_over_the_machine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jax_backend, "BLOCK_BYTES", 3 * 10 * 8)
    assert jax_backend._block_rows(7, 10, 8) == 3
    monkeypatch.setattr(jax_backend, "BLOCK_BYTES", None)
    machine = jax_backend._machine_blocks("float64")
    assert jax_backend._block_rows(10**6, 10, 8) == machine.block_bytes // 80
    given = tuning.BlockChoice(160, 2, "test")
    assert jax_backend._blocks(8, given) == (160, 2)


def test_command_prints_the_choice_and_rejects_a_bad_override(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "VERIF_BLOCK_BYTES": "48K"}
    ok = subprocess.run(
        [sys.executable, "-m", "verif.backends.tuning"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "block_bytes 49152" in ok.stdout and "VERIF_BLOCK_BYTES=48K from the environment" in ok.stdout
    env["VERIF_BLOCK_BYTES"] = "lots"
    bad = subprocess.run(
        [sys.executable, "-m", "verif.backends.tuning"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: VERIF_BLOCK_BYTES must be a positive number of bytes, optionally with K/M/G (got 'lots')"
    ]
