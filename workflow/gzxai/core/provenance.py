"""Digests of what produced a result: settings, data and the package's own code.

A result (or a training backup) is only reused when the digest of what made it equals the
digest of what would make it now. Content, never timestamps or paths: a fresh clone or a
moved checkout digests the same.

The code digest of a command is computed from the files themselves: the command's module and
every gzxai module it imports, followed transitively through the source (imports inside
functions included, since the stages import their heavy libraries late). A rule that carries
it reruns when any module its job imports is edited, and only then.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PACKAGE = "gzxai"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def module_file(module: str) -> Path | None:
    """The source file of a gzxai module or package, or None if ``module`` names none."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _tree(path: Path) -> ast.Module:
    stat = path.stat()
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


@functools.cache
def _parsed(path: str, mtime_ns: int, size: int) -> ast.Module:
    """The syntax tree of a source file (parsed again when the file changes)."""
    return ast.parse(Path(path).read_text(), filename=path)


def _definitions(tree: ast.Module) -> dict[str, ast.AST]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _imports(nodes: Iterable[ast.AST]) -> set[tuple[str, str | None]]:
    """What the import statements inside ``nodes`` reach, as (module, name) units: name is a
    top-level function or class of that module, or None for the whole module."""
    units: set[tuple[str, str | None]] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                units |= {(a.name, None) for a in sub.names if module_file(a.name)}
            elif isinstance(sub, ast.ImportFrom) and sub.module and not sub.level:
                source = module_file(sub.module)
                if source is None:
                    continue
                defined = _definitions(_tree(source))
                for alias in sub.names:
                    if module_file(f"{sub.module}.{alias.name}"):
                        units.add((f"{sub.module}.{alias.name}", None))
                    else:
                        units.add((sub.module, alias.name if alias.name in defined else None))
    return units


def _reached(module: str, name: str | None) -> list[ast.AST]:
    """The nodes that importing ``module`` and running ``name`` (a top-level function or
    class; None: anything in the module) can execute: the module's top-level imports, that
    definition and the same module's definitions it names, recursively."""
    tree = _tree(module_file(module))
    if name is None:
        return [tree]
    defined = _definitions(tree)
    nodes: list[ast.AST] = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        nodes.append(defined[current])
        named = {n.id for n in ast.walk(defined[current]) if isinstance(n, ast.Name)}
        pending.extend(named & defined.keys())
    return nodes


def _with_parents(module: str) -> set[str]:
    """Importing gzxai.a.b runs gzxai/__init__.py and gzxai/a/__init__.py too."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)}


def module_closure(module: str, function: str | None = None) -> list[Path]:
    """Source files of ``module`` and of every gzxai module it can import, transitively.
    With ``function``, only what running that function of ``module`` can reach: imports are
    followed into the functions they name, not into the rest of those modules."""
    if module_file(module) is None:
        raise ValueError(f"{module!r} is not a gzxai module")
    pending, seen = {(module, function)}, set()
    while pending:
        unit = pending.pop()
        seen.add(unit)
        pending |= _imports(_reached(*unit)) - seen
    modules = set().union(*(_with_parents(name) for name, _ in seen))
    return sorted(module_file(name) for name in modules)


def code_digest(module: str, function: str | None = None) -> str:
    """Digest of the source files :func:`module_closure` finds (paths relative to the
    package and contents)."""
    digest = hashlib.sha256()
    for path in module_closure(module, function):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def settings_digest(value: Any) -> str:
    """Digest of JSON-like settings (key order does not matter)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
