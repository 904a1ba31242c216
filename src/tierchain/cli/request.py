"""``tierchain request``: signed requests from the command line (see docs/RELAY.md).

The three steps may run on three machines: ``typed-data`` (online: reads the relay's domain and
the signer's nonce, and makes the same checks as ``payables``) writes the JSON a wallet signs;
``sign`` (offline) signs it with a keystore (or a development key on a local chain), or a browser
wallet signs it with ``eth_signTypedData_v4``; ``relay`` (online, the operator) checks the
signature and relays it, paying the gas. The words are those of ``payables``: ``--from``,
``--amount``, pieces as ``P1#1`` (the former ``--signer``, ``--value`` and token ids still work).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import click
from eth_typing import ChecksumAddress

from tierchain.chain.local import LOCAL_CHAIN_IDS, dev_accounts
from tierchain.cli.common import CliState, chain_options, command_options, get_state, pass_state
from tierchain.cli.types import ADDRESS, CENTS, PAYABLE, PIECE
from tierchain.clients import rules
from tierchain.clients.requests import (
    Addresses,
    DraftKind,
    Request,
    SignedRequest,
    SplitPiece,
    attach_signature,
    build_request,
    parse_typed_data,
    sign_request,
    wallet_typed_data,
)
from tierchain.core.errors import UsageError

KINDS = ("accept", "split", "move", "transfer")


@click.group("request")
def request_group() -> None:
    """Signed requests: build the typed data, sign it, relay it (the supplier pays no gas)."""


def _required(kind: str, **given: object) -> None:
    missing = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is None]
    if missing:
        raise UsageError(f"{kind} needs {', '.join(missing)}")


def with_summary(typed: dict[str, Any], summary: str) -> dict[str, Any]:
    """The wallet document with a plain-language ``summary`` (wallets ignore the extra key;
    :func:`~tierchain.clients.requests.parse_typed_data` does too)."""
    return {"summary": summary, **typed}


@request_group.command("typed-data")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--from", "--signer", "signer", type=ADDRESS, default=None, envvar="TIERCHAIN_FROM",
              help="the member who will sign (--signer: former name)")  # fmt: skip
@click.option("--payable", "payable_id", type=PAYABLE, default=None, help="payable (accept): 3 or P3")
@click.option(
    "--piece", "piece", type=PIECE, default=None, help="the piece (split, move, transfer): P1#1 or a token id"
)
@click.option("--to", "to", type=ADDRESS, default=None, help="receiving member (split, transfer)")
@click.option("--to-piece", "to_piece", type=PIECE, default=None, help="receiving piece (move)")
@click.option("--amount", "--value", "amount", type=CENTS, default=None,
              help="amount in currency units, e.g. 3000.00 (split, move; --value: former name)")  # fmt: skip
@click.option("--valid-for", type=click.IntRange(1, 30 * 86_400), default=3_600, show_default=True,
              help="seconds from the latest block until the deadline")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@chain_options
@pass_state
def typed_data(
    state: CliState,
    kind: str,
    signer: ChecksumAddress | None,
    payable_id: int | None,
    piece: rules.PieceRef | None,
    to: ChecksumAddress | None,
    to_piece: rules.PieceRef | None,
    amount: int | None,
    valid_for: int,
    output: Path | None,
) -> None:
    """Write the EIP-712 typed data (eth_signTypedData_v4 JSON) of a request, checked first as
    ``payables`` checks it, with a plain-language "summary".
    """
    if signer is None and state.from_address is not None:  # `tierchain --from X request typed-data ...`
        signer = rules.parse_address(state.from_address, "--from")
    if signer is None:
        raise UsageError("typed-data needs --from ADDRESS: the member who will sign")
    c = state.contracts()
    request: Request
    if kind == "accept":
        _required(kind, payable=payable_id)
        assert payable_id is not None
        view = rules.check_accept(c, signer, payable_id)
        info = view.payables[payable_id]
        summary = rules.describe_accept(info)
        fields: dict[str, Any] = {"payable_id": payable_id}
    elif kind == "split":
        _required(kind, piece=piece, to=to, amount=amount)
        assert piece is not None and to is not None and amount is not None
        view = rules.check_split(c, signer, piece, to, amount)
        p = view.piece(piece)
        summary = rules.describe_split(view, p, to, amount)
        fields = {"token_id": p.token_id, "to": to, "value": amount}
    elif kind == "move":
        _required(kind, piece=piece, to_piece=to_piece, amount=amount)
        assert piece is not None and to_piece is not None and amount is not None
        view = rules.check_move(c, signer, piece, to_piece, amount)
        a, b = view.piece(piece), view.piece(to_piece)
        summary = rules.describe_move(view, a, b, amount)
        fields = {"token_id": a.token_id, "to_token_id": b.token_id, "value": amount}
    else:
        _required(kind, piece=piece, to=to)
        assert piece is not None and to is not None
        view = rules.check_transfer(c, signer, piece, to)
        p = view.piece(piece)
        summary = rules.describe_transfer(view, p, to)
        fields = {"token_id": p.token_id, "to": to}
    domain = c.relay.domain(expected_chain_id=c.deployment.chain_id)
    nonce = c.relay.nonce_of(signer)
    d = c.deployment
    request = build_request(  # the one builder (the HTTP service's drafts use it too)
        cast(DraftKind, kind), signer, nonce=nonce, deadline=view.now + valid_for,
        addresses=Addresses(d.token, d.desk, d.settlement), **fields,
    )  # fmt: skip
    text = json.dumps(with_summary(wallet_typed_data(request, domain), summary), indent=1)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n")
        state.stderr().print(
            f"{request.PRIMARY_TYPE} of {request.signer} (nonce {nonce}) written to {output}: {summary}"
        )


@request_group.command("sign")
@click.argument("typed_data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@command_options
@pass_state
def sign(state: CliState, typed_data_file: Path, output: Path | None) -> None:
    """Sign typed data offline with a keystore (--from) or, for a local chain, a development
    key; write the signed request JSON.
    """
    if state.has_signer() is False:
        raise UsageError("give exactly one of --from ADDRESS (a keystore) or, for a local chain, --dev-account N")
    request, domain = parse_typed_data(typed_data_file.read_text())
    if state.dev_account is not None and domain.chain_id not in LOCAL_CHAIN_IDS:
        raise UsageError(
            f"--dev-account uses the public development keys: local chains only, the request is for "
            f"chain {domain.chain_id}; use --from"
        )
    if state.from_address is not None:
        address = rules.parse_address(state.from_address, "--from")
        if address != request.signer:
            raise rules.NotAllowedError("WrongSigner", expected=request.signer, given=address)
        account = state.account()
    else:
        assert state.dev_account is not None
        account = dev_accounts()[state.dev_account]  # offline: the domain's chain id was checked
        if account.address != request.signer:
            raise rules.NotAllowedError(
                "WrongSigner", expected=request.signer, given=f"development account {state.dev_account}"
            )
    signed = sign_request(request, domain, account)
    if output is None:
        click.echo(signed.to_json())
    else:
        output.write_text(signed.to_json() + "\n")
        state.stderr().print(f"signed {request.PRIMARY_TYPE} of {request.signer} written to {output}")


@request_group.command("relay")
@click.argument("signed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--signature", default=None,
              help="signature made elsewhere (hex) when SIGNED_FILE is bare typed data")  # fmt: skip
@click.option("--contract-signer", is_flag=True, help="the signer is a contract wallet (ERC-1271)")
@command_options
@pass_state
def relay_cmd(state: CliState, signed_file: Path, signature: str | None, contract_signer: bool) -> None:
    """Check a signed request and relay it; the relayer (--from, a keystore; on a local chain
    --dev-account N, default 1: the operator) pays the gas.
    """
    text = signed_file.read_text()
    if signature is None:
        signed = SignedRequest.from_json(text, contract_signer=contract_signer)
    else:
        request, domain = parse_typed_data(text)
        signed = attach_signature(request, domain, signature, contract_signer=contract_signer)
    c = state.contracts()
    if signed.domain != c.relay.domain(expected_chain_id=c.deployment.chain_id):
        raise UsageError(f"the request was signed for {signed.domain}, not this deployment's relay")
    if not state.has_signer():
        get_state().dev_account = 1  # the operator's development key (refused off local chains)
    relayer = state.signer()
    request = signed.request
    if isinstance(request, SplitPiece):
        new_id = c.relay.relay_split(relayer, signed)
        state.emit(
            {"relayed": request.PRIMARY_TYPE, "signer": request.signer, "token_id": str(new_id)},
            f"relayed {request.PRIMARY_TYPE} of {request.signer}: new piece {new_id}",
        )
        return
    receipt = c.relay.relay(relayer, signed)
    state.emit(
        {"relayed": request.PRIMARY_TYPE, "signer": request.signer, "tx": receipt.tx_hash, "gas": receipt.gas_used},
        f"relayed {request.PRIMARY_TYPE} of {request.signer}: {receipt.tx_hash} (gas {receipt.gas_used})",
    )
