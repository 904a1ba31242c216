"""Every example of docs/CLI.md runs as printed (issue 10 / issue 14 item 10).

The fenced ``sh`` blocks of docs/CLI.md (the walkthrough) are taken line by line (``\\``
continuations joined, ``#`` comments dropped) and run in order, each as its own ``tierchain``
process, in a temp folder with a fresh TIERCHAIN_HOME: the first command starts the local chain,
the last stops it (stopped here as well if a line fails). The README's ``console`` transcripts
are collected the same way (``$ tierchain ...`` lines).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tierchain.chain.local import stop_chain
from tierchain.invoices import packages as inv
from tierchain.workflows.demo import credit_code, synthetic_invoices

ROOT = Path(__file__).resolve().parents[3]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples(doc: Path, langs: tuple[str, ...], prompt: str = "") -> list[list[str]]:
    """The ``tierchain`` command lines of ``doc``'s fenced blocks in ``langs``, as argv lists."""
    out: list[list[str]] = []
    for lang, body in FENCE.findall(doc.read_text()):
        if lang not in langs:
            continue
        for line in body.replace("\\\n", " ").splitlines():
            text = line.strip()
            if prompt:
                if not text.startswith(prompt):
                    continue
                text = text[len(prompt) :]
            if text.startswith("tierchain "):
                out.append(shlex.split(re.sub(r"\s#\s.*$", "", text)))  # a comment: " # ..." (P1#1 is not one)
    return out


def write_invoices(path: Path) -> None:
    """invoices.csv: 20 invoices of supplier 3 (credit code) to the core enterprise."""
    rows = [inv.invoice_to_json(v) for v in synthetic_invoices(20, seller=credit_code(3), buyer=credit_code(2))]
    lines = [",".join(inv.CSV_COLUMNS)] + [",".join(str(r[c]) for c in inv.CSV_COLUMNS) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def run_all(commands: list[list[str]], workdir: Path) -> None:
    home = workdir / "home"
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    for var in ("TIERCHAIN_RPC", "TIERCHAIN_FROM", "TIERCHAIN_PASSWORD_FILE"):
        env.pop(var, None)
    try:
        for argv in commands:
            done = subprocess.run(
                [sys.executable, "-m", "tierchain.cli", *argv[1:]], cwd=workdir, env=env,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, (shlex.join(argv), done.returncode, done.stdout[-2000:], done.stderr[-2000:])
            assert "Traceback" not in done.stderr, shlex.join(argv)
    finally:
        stop_chain(home / "chain-ganache")


@pytest.mark.slow
def test_cli_md_examples_run_as_printed(tmp_path: Path) -> None:
    commands = examples(ROOT / "docs" / "CLI.md", ("sh",))
    assert len(commands) >= 30 and commands[-1] == ["tierchain", "chain", "stop"]
    write_invoices(tmp_path / "invoices.csv")
    run_all(commands, tmp_path)
    assert (tmp_path / "payable-1.svg").stat().st_size > 0
    assert '"summary"' in (tmp_path / "req.json").read_text()


@pytest.mark.slow
def test_readme_examples_run_as_printed(tmp_path: Path) -> None:
    """Every ``$ tierchain`` line of README.md, in order, on a fresh home (the README's
    illustrative commands for real networks and long-running services carry no ``$`` prompt)."""
    commands = examples(ROOT / "README.md", ("console", "sh"), prompt="$ ")
    assert len(commands) >= 15 and commands[-1] == ["tierchain", "chain", "stop"]
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "invoices.csv").write_bytes((ROOT / "examples" / "invoices.csv").read_bytes())
    run_all(commands, tmp_path)
    assert (tmp_path / "payable-1.svg").stat().st_size > 0
    assert '"summary"' in (tmp_path / "req.json").read_text()
