"""The dependency locks: every declared dependency pinned, with hashes, at a version its floor allows."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = [Requirement(spec) for spec in PROJECT["dependencies"]]
EXTRAS = {
    name: [Requirement(spec) for spec in specs] for name, specs in PROJECT["optional-dependencies"].items()
}
# Which declared dependencies each lock must hold.
EXPECTED = {
    "runtime.lock": RUNTIME,
    "dev.lock": [*RUNTIME, *EXTRAS["dev"]],
    "bench.lock": [*RUNTIME, *EXTRAS["dev"], *EXTRAS["bench"]],
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s\\;]+)")


def _pins(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for every requirement in the lock."""
    text = re.sub(r"\\\n", " ", (LOCKS / lock).read_text())
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = (match[3], re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return pins


@pytest.mark.parametrize("lock", sorted(EXPECTED))
def test_every_declared_dependency_is_pinned_within_its_floor(lock: str) -> None:
    pins = _pins(lock)
    for requirement in EXPECTED[lock]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is declared in pyproject.toml but not pinned in {lock}"
        version, _ = pins[name]
        allowed = requirement.specifier.contains(version, prereleases=True)
        assert allowed, f"{lock}: {name}=={version} vs {requirement}"


@pytest.mark.parametrize("lock", sorted(EXPECTED))
def test_every_pin_carries_hashes_and_the_build_tools_are_locked(lock: str) -> None:
    pins = _pins(lock)
    assert {"pip", "setuptools", "wheel"} <= pins.keys(), "pip install --no-build-isolation needs them locked"
    for name, (version, hashes) in pins.items():
        assert hashes, f"{lock}: {name}=={version} has no --hash"


@pytest.mark.parametrize("lock", ["runtime.lock", "bench.lock"])
def test_the_other_locks_agree_with_the_dev_lock(lock: str) -> None:
    dev = {name: version for name, (version, _) in _pins("dev.lock").items()}
    for name, (version, _) in _pins(lock).items():
        if name in dev:
            assert version == dev[name], f"{lock} pins {name}=={version}, dev.lock {dev[name]}"


def test_make_install_uses_the_lock_with_hashes_and_reinstalls_when_it_changes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^LOCK := requirements/dev\.lock$", makefile, re.M)
    (inputs,) = re.findall(r"^BUILD_INPUTS := (.*)$", makefile, re.M)
    assert "$(LOCK)" in inputs.split()
    assert "pip install --quiet --require-hashes -r $(LOCK)" in makefile
    assert "pip install --quiet --no-deps --no-build-isolation -e ." in makefile
    assert re.search(r"^lock:", makefile, re.M)
