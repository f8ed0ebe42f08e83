"""Opening the history database a second time in one process keeps the first connection's
view current: nothing may close a descriptor of the file behind SQLite's back (POSIX drops
every lock of the process on that file when any descriptor of it is closed)."""

from __future__ import annotations

import stat
import subprocess
import sys

from og_tui.core.chat_store import ChatStore
from og_tui.core.store import Store


def test_second_open_in_process_keeps_the_first_connection_fresh(tmp_path):
    path = tmp_path / "og-tui.db"
    first = Store(path)
    first.add_payment(1, hash="0x01")
    second = ChatStore(path)  # the app opens both on the same file
    code = (
        "import sys; from og_tui.core.store import Store\n"
        "s = Store(sys.argv[1]); s.add_payment(2, hash='0x02'); s.close()\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    assert {p.hash for p in first.list_payments()} == {"0x01", "0x02"}
    code3 = code.replace("0x02", "0x03").replace("add_payment(2", "add_payment(3")
    subprocess.run([sys.executable, "-c", code3, str(path)], check=True, timeout=60)
    assert {p.hash for p in first.list_payments()} == {"0x01", "0x02", "0x03"}
    assert {p.hash for p in Store(path).list_payments()} == {"0x01", "0x02", "0x03"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second.close()
    first.close()
