"""LogTail: incremental, bounded reads of a growing, truncated or rotated log file."""

from __future__ import annotations

import os

from og_tui.core.logtail import LogTail


def test_missing_then_created_then_appended(tmp_path):
    path = tmp_path / "app.log"
    tail = LogTail(path)
    first = tail.read()
    assert first.missing and first.lines == []
    path.write_text("one\ntwo\n")
    assert tail.read().lines == ["one", "two"]
    assert tail.read().lines == []
    with open(path, "a") as fh:
        fh.write("three\nfour")  # "four" has no newline yet
    assert tail.read().lines == ["three"]
    with open(path, "a") as fh:
        fh.write(" and more\r\n")
    assert tail.read().lines == ["four and more"]


def test_a_big_log_shows_only_its_last_window(tmp_path):
    path = tmp_path / "big.log"
    with open(path, "w") as fh:
        for i in range(200_000):  # ~3 MB
            fh.write(f"line {i:06d} of the log\n")
    tail = LogTail(path, window=64 * 1024)
    update = tail.read()
    assert update.lines[-1] == "line 199999 of the log"
    assert update.lines[0].startswith("line ") and update.lines[0].endswith(" of the log")  # no cut line
    assert len(update.lines) < 64 * 1024 // 20
    assert update.skipped == os.path.getsize(path) - sum(len(x) + 1 for x in update.lines)
    # a burst bigger than the window is skipped ahead too
    with open(path, "a") as fh:
        for i in range(10_000):
            fh.write(f"burst {i:06d} ......\n")
    update = tail.read()
    assert update.skipped > 0 and update.lines[-1] == "burst 009999 ......"
    assert len(update.lines) <= 64 * 1024 // 20


def test_truncated_and_rotated_files_are_read_from_their_start(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("old 1\nold 2\nold 3\n")
    tail = LogTail(path)
    assert tail.read().lines == ["old 1", "old 2", "old 3"]
    path.write_text("new\n")  # truncated and rewritten: shorter than before
    update = tail.read()
    assert update.reset and update.lines == ["new"]
    os.replace(path, tmp_path / "app.log.1")  # rotation: a new file under the same name
    path.write_text("rotated 1\nrotated 2 is longer than before\n")
    update = tail.read()
    assert update.reset and update.lines == ["rotated 1", "rotated 2 is longer than before"]


def test_undecodable_bytes_do_not_stop_the_reader(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"ok\n\xff\xfe broken\n")
    assert tail_lines(path) == ["ok", "\ufffd\ufffd broken"]


def tail_lines(path):
    return LogTail(path).read().lines
