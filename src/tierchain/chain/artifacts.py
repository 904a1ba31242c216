"""Compiled contract artifacts: export them from brownie's build, load them at run time.

``python -m tierchain.chain.artifacts export-artifacts`` copies the ABI and creation bytecode of the
deployable contracts from ``build/contracts/`` (written by ``brownie compile``) into
``src/tierchain/artifacts/<Name>.json``, so the library runs without brownie. The artifacts
folder is generated (``make compile``) and not kept in git.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from tierchain.core.errors import ArtifactError

DEPLOYABLE: Final = (
    "Membership",
    "InvoiceRegistry",
    "RequestRelay",
    "PayableToken",
    "DemoStableToken",
    "FinancingDesk",
    "Settlement",
)
ARTIFACTS_DIR: Final = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one contract."""

    name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: str  # 0x-prefixed creation code

    def entries(self, kind: str) -> list[dict[str, Any]]:
        """The ABI entries of one type ("function", "event", "error", "constructor")."""
        return [e for e in self.abi if e.get("type") == kind]


def project_root(start: Path | None = None) -> Path:
    """The project root: the nearest folder holding ``brownie-config.yaml``, looking up from
    ``start`` (default: the working directory), then from this package's location."""
    for origin in (start or Path.cwd(), Path(__file__).resolve().parent):
        for folder in (origin, *origin.parents):
            if (folder / "brownie-config.yaml").is_file():
                return folder
    raise ArtifactError("cannot find the project root (no brownie-config.yaml above here)")


def export_artifacts(
    build_dir: Path | None = None,
    out_dir: Path = ARTIFACTS_DIR,
    names: Sequence[str] = DEPLOYABLE,
) -> list[Path]:
    """Copy abi + bytecode of ``names`` from brownie's build folder into ``out_dir``."""
    build = build_dir or project_root() / "build" / "contracts"
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in names:
        src = build / f"{name}.json"
        if not src.is_file():
            raise ArtifactError(f"{src} is missing: run `make compile` (brownie compile) first")
        data = json.loads(src.read_text())
        bytecode = str(data.get("bytecode") or "")
        if not bytecode:
            raise ArtifactError(f"{src} has no bytecode (abstract contract or interface?)")
        doc = {
            "contractName": name,
            "abi": data["abi"],
            "bytecode": bytecode if bytecode.startswith("0x") else "0x" + bytecode,
        }
        dst = out_dir / f"{name}.json"
        tmp = dst.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, dst)
        written.append(dst)
    load_artifact.cache_clear()
    return written


@cache
def load_artifact(name: str) -> Artifact:
    """The exported artifact of contract ``name`` (cached)."""
    path = ARTIFACTS_DIR / f"{name}.json"
    if not path.is_file():
        raise ArtifactError(
            f"contract artifact {name!r} not found in {ARTIFACTS_DIR}: run `make compile` "
            "(brownie compile + python -m tierchain.chain.artifacts export-artifacts)"
        )
    data = json.loads(path.read_text())
    return Artifact(name=name, abi=tuple(data["abi"]), bytecode=str(data["bytecode"]))


def available_artifacts() -> list[Artifact]:
    """Every exported artifact present (used to build the error and event tables)."""
    if not ARTIFACTS_DIR.is_dir():
        return []
    return [load_artifact(p.stem) for p in sorted(ARTIFACTS_DIR.glob("*.json"))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tierchain.chain.artifacts")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export-artifacts", help="copy abi + bytecode from build/contracts")
    exp.add_argument("--build-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        for path in export_artifacts(args.build_dir):
            print(f"wrote {path}")
    except ArtifactError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
