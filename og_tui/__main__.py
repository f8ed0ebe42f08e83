from og_tui.cli import main

main()
