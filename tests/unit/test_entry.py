from og_tui.entry import _bare_profile


def test_bare_invocations_skip_click():
    assert _bare_profile([]) == (True, None)
    assert _bare_profile(["--profile", "opengradient"]) == (True, "opengradient")
    assert _bare_profile(["--profile=local"]) == (True, "local")


def test_everything_else_goes_to_click():
    for args in (
        ["account", "list"],
        ["--help"],
        ["--profile"],
        ["--profile", "x", "hub"],
        ["--profile="],
        ["--version"],
        ["--profile", "--help"],
    ):
        assert _bare_profile(args) == (False, None), args
