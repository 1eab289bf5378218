"""The error catalogue: every ProblemError subclass and every place one is built, read from the source."""

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from shared.problems import ProblemError

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "gateway", "services")


def import_everything() -> None:
    """Import every module of the packages (not the migrations: Alembic scripts run on import)."""
    for package in PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            spec = importlib.util.find_spec(info.name)
            native = spec is not None and (spec.origin or "").endswith(
                ".so"
            )  # a ctypes library, not a module
            if ".migrations" not in info.name and not native:
                importlib.import_module(info.name)


def problem_classes() -> list[type[ProblemError]]:
    import_everything()
    found: list[type[ProblemError]] = []
    pending: list[type[ProblemError]] = [ProblemError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.split(".")[0] in PACKAGES]


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _init_builds_korean(cls: type[ProblemError]) -> bool | None:
    """True when the nearest own __init__ builds the Korean detail itself; False when callers must pass it."""
    for klass in cls.__mro__:
        if klass is ProblemError:
            return False
        if "__init__" in klass.__dict__:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass.__dict__["__init__"])))
            function = tree.body[0]
            assert isinstance(function, ast.FunctionDef)
            arguments = function.args
            names = {a.arg for a in arguments.args + arguments.kwonlyargs}
            if "detail_ko" in names:
                return False  # it takes the Korean detail from its callers
            return any(
                isinstance(node, ast.keyword) and node.arg == "detail_ko" for node in ast.walk(function)
            )
    return False


@dataclass(frozen=True)
class Site:
    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name}(...)"


def sites_without_korean(files: Iterable[Path] | None = None) -> list[Site]:
    """Every call that builds a ProblemError subclass by name and gives it no Korean detail."""
    by_name: dict[str, list[type[ProblemError]]] = {}
    for cls in problem_classes():
        by_name.setdefault(cls.__name__, []).append(cls)
    builds = {name: all(_init_builds_korean(cls) for cls in classes) for name, classes in by_name.items()}
    missing: list[Site] = []
    for path in source_files() if files is None else files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name == "register_constraint":  # the problem a constraint's violation becomes (shared/db.py)
                if not any(keyword.arg == "detail_ko" for keyword in node.keywords):
                    missing.append(Site(_name(path), node.lineno, name))
                continue
            if name not in by_name or builds[name]:
                continue
            if not any(keyword.arg == "detail_ko" for keyword in node.keywords):
                missing.append(Site(_name(path), node.lineno, name))
    return missing


def classes_without_korean_title() -> list[str]:
    return [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in problem_classes()
        if "title" in cls.__dict__ and not cls.__dict__.get("title_ko")
    ]


def field_errors_without_korean(files: Iterable[Path] | None = None) -> list[Site]:
    """Every FieldError built in the source without a `message_ko` (shared/problems.py converts them)."""
    missing: list[Site] = []
    for path in source_files() if files is None else files:
        relative = _name(path)
        if relative == "shared/problems.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "FieldError"
                and not any(keyword.arg in ("message_ko", None) for keyword in node.keywords)
            ):
                missing.append(Site(relative, node.lineno, "FieldError"))
    return missing


_VALIDATOR_NAMES = {
    "field_validator",
    "model_validator",
    "AfterValidator",
    "BeforeValidator",
    "PlainValidator",
}


def validator_value_errors(files: Iterable[Path] | None = None) -> list[Site]:
    """Every bare `raise ValueError(...)` in a module with pydantic validators: it has no Korean text."""
    found: list[Site] = []
    for path in source_files() if files is None else files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
        }
        if path.name == "settings.py":  # refused at startup, to an operator, never in an answer
            continue
        if path.name != "schemas.py" and not imported & _VALIDATOR_NAMES:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Raise)
                and isinstance(node.exc, ast.Call)
                and isinstance(node.exc.func, ast.Name)
                and node.exc.func.id == "ValueError"
            ):
                found.append(Site(_name(path), node.lineno, "ValueError"))
    return found
