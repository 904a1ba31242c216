"""Build the portal's generated files into src/tierchain/service/web/ (run by ``make compile``).

Copies, never downloads: ``node_modules/ethers/dist/ethers.min.js`` → ``web/vendor/ethers.min.js``
and the shared glossary ``src/tierchain/core/glossary.json`` → ``web/glossary.json``. Both copies
are generated and git-ignored. ``--check`` only reports whether they are up to date (exit 1 if not).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "src" / "tierchain" / "service" / "web"
COPIES: tuple[tuple[Path, Path], ...] = (
    (ROOT / "node_modules" / "ethers" / "dist" / "ethers.min.js", WEB / "vendor" / "ethers.min.js"),
    (ROOT / "src" / "tierchain" / "core" / "glossary.json", WEB / "glossary.json"),
)


def stale() -> list[Path]:
    """The copies that are missing or differ from their source."""
    return [dst for src, dst in COPIES if not dst.exists() or dst.read_bytes() != src.read_bytes()]


def build() -> list[Path]:
    """Copy every source whose copy is stale; return the written paths."""
    written: list[Path] = []
    for src, dst in COPIES:
        if not src.exists():
            raise SystemExit(f"build_web: {src.relative_to(ROOT)} is missing (run `npm ci`, i.e. `make setup`)")
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            written.append(dst)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale copies")
    args = parser.parse_args(argv)
    if args.check:
        missing = stale()
        for path in missing:
            print(f"stale: {path.relative_to(ROOT)}")
        return 1 if missing else 0
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
