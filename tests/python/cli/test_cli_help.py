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
