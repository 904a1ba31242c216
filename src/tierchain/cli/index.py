"""CLI groups over the index: ``tierchain index``, ``tierchain query``, ``tierchain export``.

The index of a chain lives in ``<home>/index/<chainId>.sqlite`` (home: ``$TIERCHAIN_HOME`` or
``./.tierchain``); ``--db`` points elsewhere. ``index`` commands talk to the chain (``--rpc``);
``query`` and ``export`` read the database only. Errors are turned into messages and exit codes
by the top-level group in :mod:`tierchain.cli` (index errors: 8 state, 9 verify mismatch).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import click
from web3 import Web3

from tierchain.audit import index as ix
from tierchain.audit import report
from tierchain.clients import rules
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents

_JSON_SAFE: int = 2**53


def _jsonable(obj: Any) -> Any:
    """Dataclasses → dicts; integers beyond 2^53 (token ids) → strings."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) >= _JSON_SAFE:
        return str(obj)
    return obj


def _echo_json(obj: Any) -> None:
    click.echo(json.dumps(_jsonable(obj), indent=1))


# ---------------------------------------------------------------------------- opening


def _connect(rpc: str | None) -> Web3:
    """The connection of the chain options: ``--rpc`` here or on the group, else the local
    chain (started if needed), as for every command."""
    from tierchain.cli.common import get_state

    state = get_state()
    if rpc:
        state.rpc = rpc
    return state.web3()


def _indexer(rpc: str | None, db: Path | None, batch_blocks: int, confirmations: int) -> ix.Indexer:
    from tierchain.chain.deployment import load_deployment

    w3 = _connect(rpc)
    deployment = load_deployment(w3)
    index = ix.Index(db or ix.default_index_path(deployment.chain_id))
    return ix.Indexer.for_deployment(w3, deployment, index, batch_blocks=batch_blocks, confirmations=confirmations)


def _open_read(db: Path | None, chain_id: int | None) -> ix.Index:
    """The index to read: ``--db``, else ``--chain-id``'s, else the only one under home."""
    if db is not None:
        return ix.Index(db, readonly=True)
    if chain_id is not None:
        return ix.Index(ix.default_index_path(chain_id), readonly=True)
    folder = ix.default_index_path(0).parent
    found = sorted(folder.glob("*.sqlite")) if folder.is_dir() else []
    if len(found) == 1:
        return ix.Index(found[0], readonly=True)
    if not found:
        raise ix.IndexStateError(f"no index under {folder}: run `tierchain index sync` first")
    ids = ", ".join(p.stem for p in found)
    raise ix.IndexStateError(f"several indexes under {folder} (chains {ids}): pass --chain-id")


_db_opt = click.option(
    "--db", type=str, default=None, callback=lambda _ctx, _param, value: ix.db_location(value),
    help="index database: a SQLite file (default: <home>/index/<chainId>.sqlite) or a postgresql:// URL",
)  # fmt: skip
_rpc_opt = click.option(
    "--rpc", default=None, envvar="TIERCHAIN_RPC", metavar="URL",
    help="JSON-RPC URL [default: the local chain, started if needed]",
)  # fmt: skip
_chain_opt = click.option("--chain-id", type=int, default=None, help="which chain's index")
_json_opt = click.option("--json", "as_json", is_flag=True, help="machine-readable JSON output")
_batch_opt = click.option(
    "--batch-blocks", type=click.IntRange(1, 1_000_000), default=ix.DEFAULT_BATCH_BLOCKS,
    show_default=True, help="blocks per eth_getLogs batch (one database transaction each)",
)  # fmt: skip
_conf_opt = click.option(
    "--confirmations", type=click.IntRange(0, 1000), default=0, show_default=True,
    help="stay this many blocks behind the head",
)  # fmt: skip


# ---------------------------------------------------------------------------- index


@click.group("index")
def index_group() -> None:
    """Build and check the event index (SQLite) of the deployed contracts."""


def _stats_line(s: ix.SyncStats) -> str:
    line = (
        f"indexed {s.events} events in {s.blocks} blocks ({s.batches} batches) in "
        f"{s.seconds:.2f} s ({s.events_per_second:,.0f} events/s); cursor block {s.cursor}, "
        f"head {s.head}"
    )
    if s.reorgs:
        line += f"; {s.reorgs} reorganisation(s), {s.rewound_blocks} blocks rewound"
    return line


@index_group.command("sync")
@_rpc_opt
@_db_opt
@_batch_opt
@_conf_opt
@click.option("--to-block", type=int, default=None, help="stop at this block")
@_json_opt
def index_sync(
    rpc: str | None, db: Path | None, batch_blocks: int, confirmations: int, to_block: int | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Index new blocks up to the head (resumes where the last run stopped)."""
    indexer = _indexer(rpc, db, batch_blocks, confirmations)
    with indexer.index:
        stats = indexer.sync(to_block=to_block)
        if as_json:
            _echo_json({**dataclasses.asdict(stats), "events_per_second": stats.events_per_second,
                        "db": str(indexer.index.path)})  # fmt: skip
        else:
            click.echo(f"{indexer.index.path}: {_stats_line(stats)}")


@index_group.command("follow")
@_rpc_opt
@_db_opt
@_batch_opt
@_conf_opt
@click.option("--poll", type=click.FloatRange(0.05, 3600), default=1.0, show_default=True,
              help="seconds between polls once caught up")  # fmt: skip
@click.option("--max-seconds", type=click.FloatRange(0), default=None,
              help="stop after this long (default: until Ctrl-C)")  # fmt: skip
def index_follow(
    rpc: str | None, db: Path | None, batch_blocks: int, confirmations: int, poll: float,
    max_seconds: float | None,
) -> None:  # fmt: skip
    """Keep the index up to date with the chain (polling) until Ctrl-C."""
    indexer = _indexer(rpc, db, batch_blocks, confirmations)
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    click.echo(f"following into {indexer.index.path} (Ctrl-C stops)")

    def each(s: ix.SyncStats) -> None:
        if s.reorgs:
            click.echo(f"  reorganisation: rewound {s.rewound_blocks} blocks")
        click.echo(f"  block {s.head}: {s.events} events so far")

    with indexer.index:
        stats = indexer.follow(
            poll_seconds=poll,
            stop=None if deadline is None else (lambda: time.monotonic() >= deadline),
            on_batch=each,
        )
        click.echo(_stats_line(stats))


@index_group.command("verify")
@_rpc_opt
@_db_opt
@_json_opt
def index_verify(rpc: str | None, db: Path | None, as_json: bool) -> None:
    """Recompute positions from chain state and report every difference (exit 9 if any)."""
    w3 = _connect(rpc)
    chain_id = w3.eth.chain_id
    with ix.Index(db or ix.default_index_path(chain_id), readonly=True) as index:
        result = ix.verify(w3, index)
    if as_json:
        _echo_json({**_jsonable(result), "ok": result.ok})
    else:
        click.echo(
            f"checked at block {result.block_number}: {result.pieces_checked} pieces, "
            f"{result.holders_checked} holders, {result.members_checked} members"
        )
        for d in result.differences:
            click.echo(f"  DIFF {d.subject} {d.field}: index {d.indexed!r}, chain {d.on_chain!r}")
    if not result.ok:
        raise ix.IndexMismatchError(f"{len(result.differences)} difference(s) between the index and the chain")
    if not as_json:
        click.echo("index matches the chain")


@index_group.command("status")
@_db_opt
@_chain_opt
@_json_opt
def index_status(db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Where the index stands: cursor, counts, reorganisations seen."""
    with _open_read(db, chain_id) as index:
        cur = index.cursor()
        counts = {
            t: int(index.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("events", "payables", "pieces", "members", "packages", "freezes")
        }
        doc = {
            "db": str(index.path),
            "chain_id": index.meta("chain_id"),
            "cursor": None if cur is None else dataclasses.asdict(cur),
            "counts": counts,
            "reorgs": int(index.meta("reorgs") or 0),
            "contracts": index.contracts(),
        }
    if as_json:
        _echo_json(doc)
        return
    where = "nothing indexed yet" if cur is None else f"block {cur.block_number} ({cur.block_hash[:18]}…)"
    click.echo(f"{doc['db']} (chain {doc['chain_id']}): {where}")
    click.echo("  " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    click.echo(f"  reorganisations handled: {doc['reorgs']}")


# ---------------------------------------------------------------------------- query


@click.group("query")
def query_group() -> None:
    """Read the index: provenance, pieces, positions, financings, payments, settlement,
    overdue payables, totals."""


def _piece_line(p: ix.PieceRecord, prefix: str = "") -> str:
    flags = " ".join(f for f, on in (("FROZEN", p.frozen), ("locked", p.locked), ("burned", p.burned)) if on)
    owner = "-" if p.burned else p.owner
    return f"{prefix}{p.short_id:<10} tier {p.depth + 1}  {format_cents(p.value):>16}  {owner} {flags}".rstrip()


@query_group.command("piece")
@click.argument("piece_ref")
@_db_opt
@_chain_opt
@_json_opt
def query_piece(piece_ref: str, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Provenance of a piece (P1#3 or a token id): ancestors, payable, package, descendants,
    history."""
    rules.parse_piece(piece_ref)  # one piece-name parser, one exit code (20) for a bad piece
    with _open_read(db, chain_id) as index:
        try:
            prov = ix.provenance(index, piece_ref)
        except ix.NotIndexedError as exc:
            raise rules.PieceError("PieceNotIndexed", detail=str(exc)) from None
    if as_json:
        _echo_json(prov)
        return
    pay, pkg = prov.payable, prov.package
    click.echo(f"piece {prov.piece.short_id} (token {prov.piece.token_id})")
    click.echo(_piece_line(prov.piece, "  "))
    click.echo(
        f"payable {pay.payable_id}: debtor {pay.debtor}, face {format_cents(pay.face_value)}, "
        f"maturity {report._iso(pay.maturity_at)}, {pay.status}"
    )
    if pkg is not None:
        click.echo(
            f"invoice package {pkg.root}: {pkg.invoice_count} invoices, "
            f"{format_cents(pkg.total_cents)}, seller {pkg.seller}"
            + (" (VOIDED: duplicate invoice)" if pkg.voided else "")
        )
    click.echo("ancestors (up to the issued piece):")
    for a in prov.ancestors:
        click.echo(_piece_line(a, "  "))
    if not prov.ancestors:
        click.echo("  (none: this is the issued piece)")
    click.echo(f"descendants: {len(prov.descendants)}")
    for d in prov.descendants[:50]:
        click.echo(_piece_line(d, "  " + "  " * (d.depth - prov.piece.depth - 1)))
    if len(prov.descendants) > 50:
        click.echo(f"  … {len(prov.descendants) - 50} more (use --json)")
    click.echo("history:")
    for m in prov.history:
        other = f" {short_id(m.other_token_id)}" if m.other_token_id else ""
        value = f" {format_cents(m.value)}" if m.value is not None else ""
        parties = " → ".join(x for x in (m.from_addr, m.to_addr) if x)
        click.echo(f"  block {m.block_number:>6}  {m.kind:<12}{other}{value}  {parties}")
    for f in prov.freezes:
        click.echo(f"  block {f.block_number:>6}  {f.action} by {f.by}, reason {f.reason_hash}")


@query_group.command("payable")
@click.argument("payable_id", type=int)
@_db_opt
@_chain_opt
@_json_opt
def query_payable(payable_id: int, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """A payable and all its pieces."""
    with _open_read(db, chain_id) as index:
        pay = ix.payable(index, payable_id)
        pieces = ix.pieces_of_payable(index, payable_id)
    if as_json:
        _echo_json({"payable": pay, "pieces": pieces})
        return
    click.echo(
        f"payable {pay.payable_id}: debtor {pay.debtor} → {pay.creditor}, face "
        f"{format_cents(pay.face_value)}, outstanding {format_cents(pay.outstanding)}, "
        f"{pay.status}, maturity {report._iso(pay.maturity_at)}, {len(pieces)} pieces"
    )
    for p in pieces:
        click.echo(_piece_line(p, "  "))


@query_group.command("holder")
@click.argument("address")
@_db_opt
@_chain_opt
@_json_opt
def query_holder(address: str, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Live pieces a holder owns, with totals per payable."""
    with _open_read(db, chain_id) as index:
        pos = ix.positions(index, address)
    if as_json:
        _echo_json(pos)
        return
    click.echo(f"{pos.holder}: {len(pos.pieces)} pieces, {format_cents(pos.total_value)}")
    for p in pos.pieces:
        click.echo(_piece_line(p.piece, "  ") + f"  due {report._iso(p.maturity_at)}")


@query_group.command("financings")
@click.option("--payable", "payable_id", type=int, default=None, help="only this payable")
@click.option("--piece", "piece_ref", default=None, help="only this piece (bought or cut from)")
@click.option("--financier", default=None, help="only this financier")
@click.option("--seller", default=None, help="only this seller")
@_db_opt
@_chain_opt
@_json_opt
def query_financings(
    payable_id: int | None, piece_ref: str | None, financier: str | None, seller: str | None,
    db: Path | None, chain_id: int | None, as_json: bool,
) -> None:  # fmt: skip
    """Financing history: every piece bought on the desk, with value, price and recourse."""
    with _open_read(db, chain_id) as index:
        rows = ix.financing_history(index, payable_id=payable_id, piece=piece_ref, financier=financier, seller=seller)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no financings")
    for f in rows:
        cut = "" if f.from_token_id == f.token_id else f" (cut from {f.from_piece})"
        click.echo(
            f"block {f.block_number:>6}  {f.piece}{cut}  {format_cents(f.value)} for "
            f"{format_cents(f.price)}  {f.seller} → {f.financier}"
            + ("  with recourse" if f.recourse else "  without recourse")
        )


@query_group.command("payments")
@click.option("--payable", "payable_id", type=int, default=None, help="only this payable")
@click.option("--holder", default=None, help="only this holder's claims")
@_db_opt
@_chain_opt
@_json_opt
def query_payments(
    payable_id: int | None, holder: str | None, db: Path | None, chain_id: int | None,
    as_json: bool,
) -> None:  # fmt: skip
    """Who paid and who was paid: payments in (debtor, guarantor), repayments of the
    guarantor, claims per holder, guarantees and recourse claims."""
    with _open_read(db, chain_id) as index:
        pays = [] if holder else ix.payments(index, payable_id)
        cls = ix.claims(index, holder=holder, payable_id=payable_id)
        grs = [g for g in ix.guarantees(index) if payable_id in (None, g.payable_id)]
        recs = [r for r in ix.recourses(index) if payable_id in (None, r.payable_id)]
    if as_json:
        _echo_json({"payments": pays, "claims": cls, "guarantees": grs, "recourses": recs})
        return
    names = {"debtor": "paid by debtor", "guarantor": "paid by guarantor", "repaid": "repaid to guarantor"}
    click.echo("payments:")
    for p in pays:
        click.echo(
            f"  block {p.block_number:>6}  payable {p.payable_id}  {names[p.kind]:<20}"
            f"{format_cents(p.cents):>16}  {p.payer}  (left {format_cents(p.left_cents)})"
        )
    click.echo("claims:")
    for c in cls:
        click.echo(
            f"  block {c.block_number:>6}  {c.piece:<10} {format_cents(c.cents):>16}  {c.holder}"
            + ("  settled in full" if c.settled else "")
        )
    for g in grs:
        click.echo(
            f"guarantee of payable {g.payable_id}: {g.guarantor} limit "
            f"{format_cents(g.limit_cents)}, paid {format_cents(g.paid_cents)}, repaid "
            f"{format_cents(g.repaid_cents)}, still owed {format_cents(g.owed_cents)}"
        )
    for r in recs:
        click.echo(
            f"recourse on {r.piece}: {r.financier} against {r.seller}, {r.status}, uncovered "
            f"{format_cents(r.uncovered_cents)}"
            + (f", seller paid {format_cents(r.paid_cents)} + escrow {format_cents(r.escrow_cents)}"
               if r.status == "settled" else "")
        )  # fmt: skip


_at_opt = click.option("--at", type=int, default=None, help="UTC seconds (default: last indexed block)")
_grace_opt = click.option(
    "--grace", type=click.IntRange(0), default=0, show_default=True,
    help="grace period in seconds after maturity, for payables settlement has not opened",
)  # fmt: skip


@query_group.command("settlement")
@_at_opt
@_grace_opt
@_db_opt
@_chain_opt
@_json_opt
def query_settlement(at: int | None, grace: int, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Every payable with its settlement state: paid, unpaid, overdue (marked or by time)."""
    with _open_read(db, chain_id) as index:
        rows = ix.settlement_states(index, at=at, grace_seconds=grace)
    if as_json:
        _echo_json(rows)
        return
    for st in rows:
        click.echo(
            f"payable {st.payable_id}: {st.state:<18} face {format_cents(st.face_value)}, paid "
            f"{format_cents(st.paid)} (guarantor {format_cents(st.paid_by_guarantor)}), unpaid "
            f"{format_cents(st.unpaid)}, claimed {format_cents(st.claimed)}"
            + (" (marked overdue)" if st.marked_overdue else "")
        )


@query_group.command("overdue")
@_at_opt
@_grace_opt
@_db_opt
@_chain_opt
@_json_opt
def query_overdue(at: int | None, grace: int, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Payables not paid in full that settlement marked overdue or that are past maturity +
    grace."""
    with _open_read(db, chain_id) as index:
        rows = ix.overdue(index, at=at, grace_seconds=grace)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no overdue payables")
    for o in rows:
        click.echo(
            f"payable {o.payable.payable_id}: debtor {o.payable.debtor}, unpaid "
            f"{format_cents(o.unpaid)} of {format_cents(o.payable.face_value)}, "
            f"{o.seconds_overdue // 86400} days past maturity + grace"
            + (" (marked overdue)" if o.marked_overdue else " (not marked yet)")
        )


@query_group.command("totals")
@_at_opt
@_grace_opt
@_db_opt
@_chain_opt
@_json_opt
def query_totals(at: int | None, grace: int, db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Totals per core enterprise, supplier, financier and guarantor."""
    with _open_read(db, chain_id) as index:
        t = ix.totals(index, at=at, grace_seconds=grace)
    if as_json:
        _echo_json(t)
        return
    fc = format_cents
    click.echo("core enterprises (issued / paid / outstanding / overdue):")
    for r in t.core_enterprises:
        click.echo(
            f"  {r.account}  {r.payables_issued} payables  {fc(r.face_issued):>16}"
            f"  {fc(r.paid_by_debtor):>16}  {fc(r.outstanding_owed):>16}  {fc(r.overdue_owed):>16}"
            + (f"  (owes guarantors {fc(r.owes_guarantor)})" if r.owes_guarantor else "")
        )
    click.echo("suppliers (held / sold to financiers / proceeds / claims received):")
    for r in t.suppliers:
        click.echo(
            f"  {r.account}  {r.pieces_held:>3} pieces {fc(r.value_held):>16}  {fc(r.sold_value):>16}"
            f"  {fc(r.proceeds):>16}  {fc(r.claimed):>16}"
            + (f"  (paid recourse {fc(r.recourse_paid)})" if r.recourse_paid else "")
        )
    click.echo("financiers (bought at value / for price / received back / held):")
    for r in t.financiers:
        click.echo(
            f"  {r.account}  {r.financed_count} bought {fc(r.bought_value):>16}  {fc(r.bought_price):>16}"
            f"  {fc(r.received):>16}  {fc(r.value_held):>16}"
            + (f"  (recourse x{r.recourse_exercised}: {fc(r.recourse_received)})" if r.recourse_exercised else "")
        )
    if t.guarantors:
        click.echo("guarantors (paid in / still owed by the debtor):")
        for r in t.guarantors:
            click.echo(f"  {r.account}  {fc(r.guaranteed_paid):>16}  {fc(r.guarantor_owed):>16}")


@query_group.command("freezes")
@_db_opt
@_chain_opt
@_json_opt
def query_freezes(db: Path | None, chain_id: int | None, as_json: bool) -> None:
    """Every freeze and unfreeze of pieces and members, with its reason hash."""
    with _open_read(db, chain_id) as index:
        rows = ix.freezes(index)
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo("no freezes recorded")
    for f in rows:
        subject = short_id(int(f.subject)) if f.subject_kind == "piece" else f.subject
        click.echo(
            f"block {f.block_number:>6}  {f.action:<8} {f.subject_kind} {subject}  by {f.by}  reason {f.reason_hash}"
        )


# ---------------------------------------------------------------------------- export


@click.group("export")
def export_group() -> None:
    """Write positions, history or a provenance picture to a file."""


def _write(text: str, out: str) -> None:
    if out == "-":
        click.echo(text, nl=False)
        return
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    click.echo(f"wrote {path} ({len(text.encode()):,} bytes)", err=True)


_out_opt = click.option("--out", default="-", show_default=True, help="file to write (- = stdout)")
_fmt_opt = click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="json", show_default=True)


@export_group.command("positions")
@click.option("--holder", default=None, help="only this holder's pieces")
@_fmt_opt
@_out_opt
@_db_opt
@_chain_opt
def export_positions(holder: str | None, fmt: str, out: str, db: Path | None, chain_id: int | None) -> None:
    """Live pieces (all holders, or one) as JSON or CSV."""
    with _open_read(db, chain_id) as index:
        _write(report.export_positions(index, fmt, holder), out)


@export_group.command("history")
@click.option("--piece", "piece_ref", default=None, help="only this piece (P1#3 or token id)")
@click.option("--payable", "payable_id", type=int, default=None, help="only this payable")
@_fmt_opt
@_out_opt
@_db_opt
@_chain_opt
def export_history(
    piece_ref: str | None, payable_id: int | None, fmt: str, out: str, db: Path | None,
    chain_id: int | None,
) -> None:  # fmt: skip
    """Every history line (splits, moves, transfers, freezes, financings, payments, claims,
    overdue marks, guarantees, recourse) as JSON or CSV."""
    with _open_read(db, chain_id) as index:
        _write(report.export_history(index, fmt, piece=piece_ref, payable_id=payable_id), out)


@export_group.command("provenance")
@click.argument("payable_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["svg", "json"]), default="svg",
              show_default=True)  # fmt: skip
@click.option("--highlight", default=None, help="a piece whose path to the root is drawn in blue")
@click.option("--max-nodes", type=click.IntRange(1), default=150, show_default=True)
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None, help="JSON file {address: name}")  # fmt: skip
@_out_opt
@_db_opt
@_chain_opt
def export_provenance(
    payable_id: int, fmt: str, highlight: str | None, max_nodes: int,
    labels_file: Path | None, out: str, db: Path | None, chain_id: int | None,
) -> None:  # fmt: skip
    """The provenance tree of a payable: an SVG picture, or JSON (payable + pieces)."""
    labels: dict[str, str] | None = None
    if labels_file is not None:
        try:
            labels = {str(k): str(v) for k, v in json.loads(labels_file.read_text()).items()}
        except (ValueError, AttributeError):
            raise click.BadParameter("labels must be a JSON object {address: name}") from None
    with _open_read(db, chain_id) as index:
        if fmt == "svg":
            text = report.provenance_svg(index, payable_id, labels=labels, highlight=highlight, max_nodes=max_nodes)
        else:
            doc = {
                "payable": ix.payable(index, payable_id),
                "pieces": ix.pieces_of_payable(index, payable_id),
            }
            text = json.dumps(_jsonable(doc), indent=1) + "\n"
    _write(text, out)


def index_commands() -> list[click.Command]:
    """The command groups this module adds to ``tierchain``."""
    return [index_group, query_group, export_group]
