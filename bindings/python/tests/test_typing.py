"""The stubs and py.typed ship in the wheel, `mypy --strict` accepts typed usage, stubtest
matches the stubs with the native module, and every stub docstring is the native one."""

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, List, Tuple

import sandgate
from sandgate import _native

HERE = Path(__file__).resolve().parent


def test_client_package_ships_type_information() -> None:
    package = Path(sandgate.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_native.pyi").is_file()


def run_mypy(*target: str, cwd: str) -> "subprocess.CompletedProcess[str]":
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *target],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )


def test_client_typed_usage_passes_mypy_strict() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_mypy(str(HERE / "typed_usage.py"), cwd=tmp)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success" in result.stdout


def test_client_package_itself_passes_mypy_strict() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = run_mypy("-p", "sandgate", cwd=tmp)
    assert result.returncode == 0, result.stdout + result.stderr


def test_client_stubs_catch_misuse_under_mypy() -> None:
    # The stubs are real: a wrong type is reported, so a passing check means something.
    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "misuse.py"
        bad.write_text(
            "from sandgate import Client\n"
            "port: str = Client().get_endpoint('sbx', 80).route.port\n"
        )
        result = run_mypy(str(bad), cwd=tmp)
    assert result.returncode == 1, result.stdout
    assert "misuse.py:2" in result.stdout


def test_client_stubs_match_the_native_module() -> None:
    # stubtest imports the installed package and compares every stub with the runtime
    # objects: names, signatures, defaults.
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
        result = subprocess.run(
            [sys.executable, "-m", "mypy.stubtest", "sandgate"],
            cwd=tmp, env=env, capture_output=True, text=True, timeout=600,
        )
    assert result.returncode == 0, result.stdout + result.stderr


def test_client_stub_docstrings_are_the_native_docs() -> None:
    # Every class, method, property and function of the stub has a docstring, and it is the
    # native object's own __doc__ (whitespace aside): the two cannot drift apart.
    def same(text: str) -> str:
        return " ".join(text.split())

    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    stub = ast.parse((Path(sandgate.__file__).parent / "_native.pyi").read_text())
    items: List[Tuple[str, Any, Any]] = []
    for node in stub.body:
        if isinstance(node, ast.ClassDef):
            owner = getattr(_native, node.name)
            items.append((node.name, node, owner))
            items += [(f"{node.name}.{m.name}", m, getattr(owner, m.name)) for m in node.body
                      if isinstance(m, functions) and not m.name.startswith("__")]
        elif isinstance(node, functions):
            items.append((node.name, node, getattr(_native, node.name)))
    problems = []
    for name, node, native in items:
        doc = ast.get_docstring(node)
        if not doc:
            problems.append(f"{name}: the stub has no docstring")
        elif same(doc) != same(native.__doc__ or ""):
            problems.append(f"{name}: stub {doc!r} != native {native.__doc__!r}")
    assert not problems, "\n".join(problems)
    assert len(items) > 120, len(items)
