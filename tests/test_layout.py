"""Rules of the code's layout that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

from santegraph.vocab import NAMESPACE


def test_a_query_worker_boots_without_the_server_side_libraries():
    """A worker process imports the sandbox package (santegraph/sandbox/worker.py): what
    only the server needs stays out of it, so that a new worker answers in a fraction of
    a second."""
    code = "import sys, json, santegraph.sandbox.worker; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {"requests", "flask", "rdflib", "pyshacl", "santegraph.store", "santegraph.web"}
    assert not heavy & loaded


# ---------------------------------------------------------------- the vocabulary namespace
SRC = Path(__file__).resolve().parents[1] / "src" / "santegraph"
# Names the namespace goes by in the code (vocab.NAMESPACE, often imported as SG_NAMESPACE)
NAMESPACE_NAME = re.compile(r"SG|SG_NS|\w*NAMESPACE|VOCAB")


def _is_namespace(node: ast.AST) -> bool:
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "str" and node.args:
        node = node.args[0]  # str(SG)
    name = getattr(node, "id", None) or getattr(node, "attr", None) or ""
    return bool(NAMESPACE_NAME.fullmatch(name))


def namespace_retyped(path: Path) -> list[str]:
    """Where ``path`` types the vocabulary namespace or a term of it as text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and NAMESPACE in node.value
            and id(node) not in docstrings
        ):
            found.append(f"{where}: the namespace typed out")
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add)
            and _is_namespace(node.left)
            and isinstance(node.right, ast.Constant | ast.JoinedStr)
        ):
            found.append(f"{where}: a term typed as namespace + text")
        elif isinstance(node, ast.JoinedStr):
            parts = node.values
            for part, after in zip(parts, parts[1:], strict=False):
                if isinstance(part, ast.FormattedValue) and _is_namespace(part.value):
                    if isinstance(after, ast.Constant):
                        found.append(f"{where}: a term typed as namespace + text")
    return found


def test_vocabulary_terms_come_from_the_generated_module():
    """vocab.py is generated from the ontology (``SG.Acteur``: a typo is an
    AttributeError at import). Typing the namespace, or a term as namespace + text, in the
    code would let a typo through silently."""
    found = [
        problem
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "vocab.py"
        for problem in namespace_retyped(path)
    ]
    assert not found, "use santegraph.vocab (SG.<term>, NAMESPACE):\n" + "\n".join(found)


def test_the_namespace_lint_sees_each_way_of_retyping(tmp_path):
    cases = {
        'SG = "https://w3id.org/santegraph/def#"\n': "typed out",
        'x = SG + "Acteur"\n': "namespace + text",
        'x = SG_NAMESPACE + "Acteur"\n': "namespace + text",
        'x = f"{NAMESPACE}Acteur"\n': "namespace + text",
        'x = str(SG) + "Acteur"\n': "namespace + text",
    }
    probe = tmp_path / "probe.py"
    for code, problem in cases.items():
        probe.write_text(code, encoding="utf-8")
        (found,) = namespace_retyped(probe)
        assert problem in found, code
    probe.write_text('"""About def#."""\nx = SG.Acteur\ny = NAMESPACE + local\n')
    assert namespace_retyped(probe) == []


# ---------------------------------------------------------------- domain and web
DOMAIN_PACKAGES = ("steward", "sandbox", "professional", "toile", "store")


def imported_modules(path: Path) -> set[str]:
    """The modules ``path`` imports, relative imports resolved within santegraph."""
    package = path.relative_to(SRC.parent).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
            else:
                found.add(node.module or "")
    return found


def test_domain_packages_know_nothing_of_the_web():
    """The README's layout rule: steward/, sandbox/, professional/, toile/ and store/ say
    what is done; reading requests and rendering pages is web/'s."""
    found = [
        f"{path.relative_to(SRC.parent)} imports {module}"
        for package in DOMAIN_PACKAGES
        for path in sorted((SRC / package).rglob("*.py"))
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in ("flask", "werkzeug", "markupsafe")
        or module.startswith("santegraph.web")
    ]
    assert not found, "\n".join(found)
