"""Issue 14 item 10: every command's ``--help`` ends with one real example."""

from __future__ import annotations

import shlex

from click.testing import CliRunner

from tierchain.cli.examples import EXAMPLES, walk
from tierchain.cli.main import main


def test_every_help_ends_with_an_example() -> None:
    runner = CliRunner()
    for path, _ in walk(main):
        result = runner.invoke(main, [*path.split(), "--help"], terminal_width=400)
        assert result.exit_code == 0, (path, result.output)
        lines = [line for line in result.output.rstrip().splitlines() if line.strip()]
        assert lines[-2].strip() == "Example:", (path, lines[-3:])
        example = lines[-1].strip()
        assert example == EXAMPLES[path] and example.startswith(f"tierchain {path}"), (path, example)


def test_examples_parse() -> None:
    """Each example's words are options its command knows (parsed, not run)."""
    for path, cmd in walk(main):
        words = shlex.split(EXAMPLES[path])[1 + len(path.split()) :]
        ctx = cmd.make_context(path, list(words), resilient_parsing=True)
        assert not ctx.args, (path, ctx.args)


def test_exit_codes_in_the_docs_agree_with_the_cli() -> None:
    """docs/CLI.md's exit-code table and docs/INDEX.md's sentence name the codes the classes carry."""
    import re
    from pathlib import Path

    from tierchain.audit import index as ix
    from tierchain.audit import trace
    from tierchain.clients import rules
    from tierchain.core import errors

    root = Path(__file__).resolve().parents[3]
    known = {**vars(errors), **vars(rules), **vars(ix), **vars(trace)}
    checked = 0
    for line in (root / "docs" / "CLI.md").read_text().splitlines():
        row = re.match(r"\| (\d+) \| (.*?) \|", line)
        if not row:
            continue
        for name in re.findall(r"`(\w+)`", row.group(2)):
            cls = known.get(name)
            if isinstance(cls, type) and issubclass(cls, errors.TierchainError):
                assert cls.exit_code == int(row.group(1)), (name, cls.exit_code, line)
                checked += 1
    assert checked >= 12
    text = " ".join((root / "docs" / "INDEX.md").read_text().split())
    assert f"{ix.IndexStateError.exit_code} index state" in text
    assert f"{ix.IndexMismatchError.exit_code} verify found differences" in text
    assert f"{rules.PieceError.exit_code} a bad piece name" in text


def test_contract_errors_read_as_sentences_from_one_table() -> None:
    from tierchain.core.errors import PayableError
    from tierchain.core.messages import MESSAGES, message_of

    tid = (1_900_000_000 << 96) | (1 << 32) | 2
    err = PayableError("PayableBelowMinimum", {"tokenId": tid, "value": 50, "minimum": 100})
    assert message_of(err) == "PayableBelowMinimum: piece P1#2 would hold 0.50, below the minimum piece value 1.00"
    unknown = PayableError("PayableSomethingNew", {"x": 1})
    assert message_of(unknown) == str(unknown) == "PayableSomethingNew: x=1"
    from tierchain.chain.artifacts import available_artifacts

    names = {e["name"] for a in available_artifacts() for e in a.abi if e.get("type") == "error"}
    table = {n for n in MESSAGES if n[0].isupper() and any(n.startswith(p) for p in ("Payable", "Relay", "Desk"))}
    assert table <= names, table - names  # every sentence names a real custom error
