"""``tierchain request``: signed requests from the command line (see docs/RELAY.md).

The three steps may run on three machines: ``typed-data`` (online: reads the relay's domain and
the signer's nonce) writes the JSON a wallet signs; ``sign`` (offline) signs it with a
development key, or a browser wallet signs it with ``eth_signTypedData_v4``; ``relay`` (online,
the operator) checks the signature and relays it, paying the gas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address

from tierchain.chain.deployment import load_deployment
from tierchain.chain.local import LOCAL_CHAIN_IDS, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.chain.wallet import find_keystore, read_password_file, unlock
from tierchain.clients.bundle import Contracts
from tierchain.clients.requests import (
    Addresses,
    DraftKind,
    Request,
    SignedRequest,
    SplitPiece,
    attach_signature,
    build_request,
    deadline_in,
    parse_typed_data,
    sign_request,
    wallet_typed_data,
)
from tierchain.core.errors import UsageError
from tierchain.core.money import parse_cents

KINDS = ("accept", "split", "move", "transfer")


@click.group("request")
def request_group() -> None:
    """Signed requests: build the typed data, sign it, relay it (the supplier pays no gas)."""


def _required(kind: str, **given: object) -> None:
    missing = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is None]
    if missing:
        raise UsageError(f"{kind} needs {', '.join(missing)}")


def _address(text: str, option: str) -> ChecksumAddress:
    if not is_address(text):
        raise UsageError(f"{option}: not an address: {text!r}")
    return to_checksum_address(text)


@request_group.command("typed-data")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--rpc", required=True, help="JSON-RPC URL of the chain the deployment is on")
@click.option("--signer", required=True, help="address of the member who will sign")
@click.option("--payable", "payable_id", type=int, default=None, help="payable id (accept)")
@click.option("--piece", "token_id", type=int, default=None, help="token id of the piece (split, move, transfer)")
@click.option("--to", "to", default=None, help="receiving member (split, transfer)")
@click.option("--to-piece", "to_token_id", type=int, default=None, help="receiving piece (move)")
@click.option("--value", default=None, help="amount in currency units, e.g. 3000.00 (split, move)")
@click.option("--valid-for", type=click.IntRange(1, 30 * 86_400), default=3_600, show_default=True,
              help="seconds from the latest block until the deadline")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def typed_data(
    kind: str,
    rpc: str,
    signer: str,
    payable_id: int | None,
    token_id: int | None,
    to: str | None,
    to_token_id: int | None,
    value: str | None,
    valid_for: int,
    output: Path | None,
) -> None:
    """Write the EIP-712 typed data (eth_signTypedData_v4 JSON) of a request."""
    from tierchain.chain.local import connect

    w3 = connect(rpc)
    deployment = load_deployment(w3)
    relay = Contracts.at(w3, deployment).relay
    domain = relay.domain(expected_chain_id=deployment.chain_id)
    nonce = relay.nonce_of(_address(signer, "--signer"))
    deadline = deadline_in(w3, valid_for)
    who = _address(signer, "--signer")
    needed: dict[str, dict[str, object]] = {
        "accept": {"payable": payable_id},
        "split": {"piece": token_id, "to": to, "value": value},
        "move": {"piece": token_id, "to_piece": to_token_id, "value": value},
        "transfer": {"piece": token_id, "to": to},
    }
    _required(kind, **needed[kind])
    d = deployment
    request: Request = build_request(  # the one builder (the HTTP service's drafts use it too)
        cast(DraftKind, kind), who, nonce=nonce, deadline=deadline,
        addresses=Addresses(d.token, d.desk, d.settlement), payable_id=payable_id, token_id=token_id,
        to=_address(to, "--to") if to is not None else None, to_token_id=to_token_id,
        value=parse_cents(value, name="--value") if value is not None and kind in ("split", "move") else None,
    )  # fmt: skip
    text = json.dumps(wallet_typed_data(request, domain), indent=1)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n")
        click.echo(f"{request.PRIMARY_TYPE} of {request.signer} (nonce {nonce}) written to {output}")


@request_group.command("sign")
@click.argument("typed_data_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dev-account", type=click.IntRange(0, 19), default=None,
              help="development account (local chains' mnemonic) that signs")  # fmt: skip
@click.option("--from", "from_address", default=None, envvar="TIERCHAIN_FROM", metavar="ADDRESS",
              help="sign with this keystore account (see `tierchain wallet list`)")  # fmt: skip
@click.option("--password-file", default=None, envvar="TIERCHAIN_PASSWORD_FILE", metavar="PATH",
              help="file whose first line is the keystore password [default: hidden prompt]")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def sign(
    typed_data_file: Path, dev_account: int | None, from_address: str | None, password_file: str | None,
    output: Path | None,
) -> None:  # fmt: skip
    """Sign typed data offline with a keystore (--from) or a development key; write the signed
    request JSON."""
    if (dev_account is None) == (from_address is None):
        raise UsageError("give exactly one of --from ADDRESS (a keystore) or --dev-account N")
    request, domain = parse_typed_data(typed_data_file.read_text())
    if from_address is not None:
        address = _address(from_address, "--from")
        if address != request.signer:
            raise UsageError(f"the request is {request.signer}'s to sign, not {address}'s")
        entry = find_keystore(address)
        if password_file is not None:
            password = read_password_file(password_file)
        else:
            password = click.prompt(f"password for {address}", hide_input=True, err=True, show_default=False)
        account = unlock(entry.address, password)
        del password
    else:
        assert dev_account is not None
        if domain.chain_id not in LOCAL_CHAIN_IDS:
            raise UsageError(
                f"--dev-account uses the public development keys: local chains only, the request is for "
                f"chain {domain.chain_id}; use --from"
            )
        account = dev_accounts()[dev_account]
        if account.address != request.signer:
            raise UsageError(f"the request is {request.signer}'s to sign, not development account {dev_account}'s")
    signed = sign_request(request, domain, account)
    if output is None:
        click.echo(signed.to_json())
    else:
        output.write_text(signed.to_json() + "\n")
        click.echo(f"signed {request.PRIMARY_TYPE} of {request.signer} written to {output}")


@request_group.command("relay")
@click.argument("signed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rpc", required=True, help="JSON-RPC URL of the chain the deployment is on")
@click.option("--dev-account", type=click.IntRange(0, 19), default=1, show_default=True,
              help="development account that relays and pays the gas (the operator)")  # fmt: skip
@click.option("--signature", default=None,
              help="signature made elsewhere (hex) when SIGNED_FILE is bare typed data")  # fmt: skip
@click.option("--contract-signer", is_flag=True, help="the signer is a contract wallet (ERC-1271)")
def relay_cmd(signed_file: Path, rpc: str, dev_account: int, signature: str | None, contract_signer: bool) -> None:
    """Check a signed request and relay it; the relayer pays the gas."""
    from tierchain.chain.local import connect

    text = signed_file.read_text()
    if signature is None:
        signed = SignedRequest.from_json(text, contract_signer=contract_signer)
    else:
        request, domain = parse_typed_data(text)
        signed = attach_signature(request, domain, signature, contract_signer=contract_signer)
    w3 = connect(rpc)
    c = Contracts.at(w3, load_deployment(w3))
    if signed.domain != c.relay.domain(expected_chain_id=c.deployment.chain_id):
        raise UsageError(f"the request was signed for {signed.domain}, not this deployment's relay")
    relayer = Sender(w3, dev_accounts()[dev_account])
    request = signed.request
    if isinstance(request, SplitPiece):
        new_id = c.relay.relay_split(relayer, signed)
        click.echo(f"relayed {request.PRIMARY_TYPE} of {request.signer}: new piece {new_id}")
        return
    receipt = c.relay.relay(relayer, signed)
    click.echo(f"relayed {request.PRIMARY_TYPE} of {request.signer}: {receipt.tx_hash} (gas {receipt.gas_used})")
