from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from tierchain.workflows import run_demo


def test_demo_runs_end_to_end(w3, keys, tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(w3, keys, Console(file=out, width=120), home=tmp_path, invoice_count=300)
    live = [p for p in result.pieces if p.live]
    assert sum(p.value for p in live) == result.face_value
    assert len(result.pieces) == 7 and len(live) == 6  # one piece merged away
    assert "PayableBelowMinimum" in result.rejected
    text = out.getvalue()
    assert "tier-3 workshop A1" in text and "provenance of payable" in text
    assert (tmp_path / "deployments" / f"{w3.eth.chain_id}.json").is_file()
