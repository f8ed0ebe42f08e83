"""Declared dependencies match what the code imports, and requirements.lock matches pyproject.

- every third-party module imported anywhere in og_tui/ (lazy imports included) comes
  from a distribution declared as a runtime dependency (or an optional extra other than
  ``test``, for the SDK adapters);
- every third-party module imported by tests/ and bench/ comes from a runtime or test
  dependency;
- every declared requirement is pinned in requirements.lock at a version its specifier
  accepts (refresh the lock with ``make lock`` after changing pyproject.toml).
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"og_tui", "bench", "tests"}


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _requirements() -> tuple[list[Requirement], dict[str, list[Requirement]]]:
    project = _pyproject()["project"]
    runtime = [Requirement(r) for r in project.get("dependencies", [])]
    extras = {name: [Requirement(r) for r in reqs] for name, reqs in project.get("optional-dependencies", {}).items()}
    return runtime, extras


def _names(reqs: list[Requirement]) -> set[str]:
    return {canonicalize_name(r.name) for r in reqs}


def _local_modules(folder: Path) -> set[str]:
    """Helper modules the tests import by bare name (conftest, hub_helpers, ...)."""
    out = {p.stem for p in folder.rglob("*.py")}
    out |= {p.parent.name for p in folder.rglob("__init__.py")}
    return out


@functools.lru_cache(maxsize=None)
def _providers() -> dict[str, list[str]]:
    return dict(md.packages_distributions())


def _imports(folders: list[str]) -> dict[str, set[str]]:
    """Top-level third-party module -> files importing it (every import statement, lazy or not)."""
    local = set().union(*(_local_modules(ROOT / f) for f in folders))
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__" or top in local:
                        continue
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


# Code that runs only beside the reference OpenGradient SDK, in the environment `make test`
# builds for it (.venv-ref: `opengradient==0.5.13` and what it pulls in), never in og-tui's:
# module -> the files allowed to import it.
REFERENCE_ENV_ONLY = {
    "opengradient": ("tests/compat/",),
    "requests": ("og_tui/devnet/compat.py",),  # patches the reference SDK's own requests use
}


def _reference_only(module: str, files: set[str]) -> bool:
    allowed = REFERENCE_ENV_ONLY.get(module)
    return bool(allowed) and all(f.startswith(allowed) for f in files)


def _undeclared(folders: list[str], allowed: set[str]) -> list[str]:
    providers = _providers()
    problems = []
    for module, files in sorted(_imports(folders).items()):
        if _reference_only(module, files):
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [])}
        where = ", ".join(sorted(files)[:3]) + (" ..." if len(files) > 3 else "")
        if not dists:
            problems.append(f"{module} (no installed distribution provides it; imported in {where})")
        elif not dists & allowed:
            problems.append(f"{module} from {'/'.join(sorted(dists))} is not declared (imported in {where})")
    return problems


def test_og_tui_imports_are_declared_runtime_dependencies():
    runtime, extras = _requirements()
    allowed = _names(runtime).union(*(_names(reqs) for name, reqs in extras.items() if name != "test"))
    found = _imports(["og_tui"])
    assert {"httpx", "textual", "numpy"} <= set(found)  # the scan sees imports at all
    problems = _undeclared(["og_tui"], allowed)
    assert not problems, "declare these in [project].dependencies of pyproject.toml:\n" + "\n".join(problems)


def test_web3_is_not_a_runtime_dependency():
    runtime, extras = _requirements()
    assert "web3" not in _names(runtime) and "web3" in _names(extras["test"])
    assert "web3" not in _imports(["og_tui"])


def test_test_and_bench_imports_are_declared():
    runtime, extras = _requirements()
    allowed = _names(runtime).union(*(_names(reqs) for reqs in extras.values()))
    problems = _undeclared(["tests", "bench"], allowed)
    assert not problems, "declare these in the test extra of pyproject.toml:\n" + "\n".join(problems)


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;(.*))?$")


def parse_lock(text: str) -> dict[str, Version]:
    """``name==version`` pins of a lock that apply here (a pin with a marker, e.g. one per
    Python version, counts only where its marker holds)."""
    pins: dict[str, Version] = {}
    for line in text.splitlines():
        m = _PIN.match(line.strip())
        if m and (m.group(3) is None or Marker(m.group(3).strip()).evaluate()):
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def _lock() -> dict[str, Version]:
    path = ROOT / "requirements.lock"
    assert path.exists(), "requirements.lock is missing; run `make lock`"
    return parse_lock(path.read_text(encoding="utf-8"))


def lock_drift(requirements: list[Requirement], pins: dict[str, Version]) -> list[str]:
    """What in ``requirements`` the lock does not satisfy (missing, or pinned outside the specifier)."""
    problems = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(req.name)
        pinned = pins.get(name)
        if pinned is None:
            problems.append(f"{req} is declared but not in requirements.lock")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req} is declared but requirements.lock pins {req.name}=={pinned}")
    return problems


def test_lock_matches_pyproject():
    runtime, extras = _requirements()
    pins = _lock()
    assert len(pins) > 50, "requirements.lock pins the whole resolved set"
    problems = lock_drift(runtime + [r for reqs in extras.values() for r in reqs], pins)
    assert not problems, "requirements.lock has drifted from pyproject.toml; run `make lock`:\n" + "\n".join(problems)


def test_lock_pins_follow_markers():
    text = (
        "numpy==2.4.6 ; python_full_version < '3.11'\n"
        "numpy==2.5.5 ; python_full_version >= '3.11'\n"
        "    # via og-tui (pyproject.toml)\n"
        "pywin32==312 ; sys_platform == 'never'\n"
        "textual==8.2.8\n"
    )
    assert parse_lock(text) == {"numpy": Version("2.5.5"), "textual": Version("8.2.8")}


def test_lock_drift_is_detected():
    """The drift check itself: a missing pin and a pin outside the specifier are both reported."""
    pins = {"httpx": Version("0.28.1"), "numpy": Version("1.26.4")}
    problems = lock_drift([Requirement("httpx>=0.28,<1"), Requirement("numpy>=2.0"), Requirement("click>=8.1")], pins)
    assert problems == [
        "numpy>=2.0 is declared but requirements.lock pins numpy==1.26.4",
        "click>=8.1 is declared but not in requirements.lock",
    ]
