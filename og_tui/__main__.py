from og_tui.entry import run

run()
