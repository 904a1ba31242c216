"""The library's shape: the layers are checked by `make lint` (import-linter, see pyproject.toml);
this test adds what import-linter's layers contract does not: no import cycle between modules, and
the library never imports brownie (tests may; the library takes a plain web3)."""

from __future__ import annotations

import grimp

ROOT = "tierchain"


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(ROOT, cache_dir=None)


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    modules = sorted(m for m in graph.modules if not m.endswith("__init__"))
    cycles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == module or imported not in graph.modules:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append((module, *back))
    assert cycles == [], f"import cycles: {cycles}"


def test_library_never_imports_brownie() -> None:
    graph = grimp.build_graph(ROOT, "brownie", include_external_packages=True, cache_dir=None)
    importers = graph.find_modules_that_directly_import("brownie")
    assert not {m for m in importers if m.startswith(ROOT + ".")}, importers
