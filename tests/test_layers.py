"""The import contract: floors of apps, imports point down only.

Read from the source (no imports run), so a violation is reported even in a module that no
test loads. `docs/development.md` draws the same floors; change both together.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# From the ground up. Apps on one floor may use each other; nothing imports a higher floor.
FLOORS: list[frozenset[str]] = [
    frozenset({"core"}),
    # notifications: the inbox every higher floor writes to (review, render, beta).
    frozenset({"tenancy", "accounts", "audit", "notifications"}),
    frozenset({"beta", "production"}),
    frozenset({"media"}),
    frozenset({"review", "render", "interchange", "assist"}),
    frozenset({"web"}),
]
FLOOR_OF = {app: level for level, apps in enumerate(FLOORS) for app in apps}
# The GPU worker package is a library without Django; only render talks to it.
GPU_WORKER_USERS = frozenset({"render"})
PROJECT_PACKAGES = ("apps", "studio", "gpu_workers")


@dataclass(frozen=True)
class ProjectImport:
    module: str  # importing module, dotted
    line: int
    target: str  # imported module, dotted
    in_function: bool
    explained: bool  # a comment on the line or the line above says why


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_imports(source: str, module: str) -> list[ProjectImport]:
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[ProjectImport] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                targets = [child.module]
            for target in targets:
                assert isinstance(child, ast.Import | ast.ImportFrom)  # only imports have targets
                if target.split(".")[0] in PROJECT_PACKAGES:
                    here = lines[child.lineno - 1]
                    above = lines[child.lineno - 2] if child.lineno > 1 else ""
                    explained = "#" in here or above.strip().startswith("#")
                    found.append(
                        ProjectImport(module, child.lineno, target, in_function, explained)
                    )
            visit(child, nested)

    visit(tree, False)
    return found


def violations(imports: list[ProjectImport]) -> list[str]:
    problems = []
    for item in imports:
        source_parts, target_parts = item.module.split("."), item.target.split(".")
        where = f"{item.module}:{item.line} imports {item.target}"
        if source_parts[0] != "apps":
            continue
        app = source_parts[1]
        if app not in FLOOR_OF:
            problems.append(f"{where}: app {app!r} is on no floor; add it to FLOORS")
            continue
        if target_parts[0] == "studio":
            problems.append(f"{where}: apps never import the studio package (settings aside)")
        elif target_parts[0] == "gpu_workers" and app not in GPU_WORKER_USERS:
            problems.append(f"{where}: only {sorted(GPU_WORKER_USERS)} may use gpu_workers")
        elif target_parts[0] == "apps" and len(target_parts) > 1 and target_parts[1] != app:
            other = target_parts[1]
            if FLOOR_OF.get(other, len(FLOORS)) > FLOOR_OF[app]:
                problems.append(
                    f"{where}: {app!r} (floor {FLOOR_OF[app]}) may not import the higher"
                    f" floor {other!r} (floor {FLOOR_OF.get(other, '?')})"
                )
        if item.in_function and not item.explained:
            problems.append(
                f"{where} inside a function: move it to the top, or say in a comment why"
                " it cannot be there"
            )
    return problems


def tree_imports() -> list[ProjectImport]:
    found = []
    for path in sorted((ROOT / "apps").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        found += project_imports(path.read_text(), module_name(path))
    return found


def test_apps_import_only_their_own_floor_and_below() -> None:
    problems = violations(tree_imports())
    assert not problems, "\n".join(problems)


def test_every_app_is_on_a_floor() -> None:
    apps = {p.name for p in (ROOT / "apps").iterdir() if (p / "apps.py").exists()}
    assert apps == set(FLOOR_OF), f"unplaced: {apps - set(FLOOR_OF)}"


def test_contract_names_both_modules_of_an_upward_import() -> None:
    # One of the upward imports this contract removed: tenancy reaching up into production.
    source = "from apps.production.selectors import access_project_by_id\n"
    problems = violations(project_imports(source, "apps.tenancy.api"))
    assert problems == [
        "apps.tenancy.api:1 imports apps.production.selectors: 'tenancy' (floor 1) may not"
        " import the higher floor 'production' (floor 2)"
    ]


def test_contract_refuses_unexplained_imports_inside_functions() -> None:
    source = (
        "def f():\n"
        "    from apps.core.timecode import parse_timecode\n"
        "def g():\n"
        "    # settings are read lazily: the module is imported before Django is set up\n"
        "    from apps.core.errors import NotFound\n"
    )
    problems = violations(project_imports(source, "apps.production.services"))
    assert len(problems) == 1 and "apps.production.services:2" in problems[0]


def test_contract_refuses_the_studio_package_and_gpu_workers_outside_render() -> None:
    source = "from studio.celery import app\nfrom gpu_workers.registry import get_operation\n"
    problems = violations(project_imports(source, "apps.media.services"))
    assert len(problems) == 2
