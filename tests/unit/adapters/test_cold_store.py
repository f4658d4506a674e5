"""The scratch file of the cost graph's cold entries: rows per (group, key), taken once."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory_ledger.adapters.cold_store import FileColdStore

pytestmark = pytest.mark.unit


def test_rows_are_kept_per_group_and_taken_once(tmp_path: Path) -> None:
    store = FileColdStore(tmp_path)
    store.save([("lot", "L-1", b"one"), ("lot", "L-2", b"two"), ("usage", "L-1", b"a usage")])
    assert sorted(store.keys("lot")) == ["L-1", "L-2"]
    assert store.take("lot", "L-1") == b"one"
    assert store.take("lot", "L-1") is None
    store.save([("lot", "L-1", b"one again")])
    assert store.take("lot", "L-1") == b"one again"
    assert store.keys("lot") == ["L-2"]
    assert store.take("usage", "L-1") == b"a usage"
    store.drop("lot")
    assert store.keys("lot") == []
    assert store.take("usage", "L-2") is None
    store.close()


def test_the_file_leaves_the_directory_as_soon_as_it_is_open(tmp_path: Path) -> None:
    """A killed process leaves nothing behind; the open store still reads and writes."""
    store = FileColdStore(tmp_path)
    assert list(tmp_path.iterdir()) == []
    store.save([("lot", f"L-{i}", bytes(100)) for i in range(2_000)])
    assert store.take("lot", "L-1999") == bytes(100)
    store.close()
