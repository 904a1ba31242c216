"""``tierchain deploy`` and ``tierchain admin``: put the contract set on a chain, and govern it.

The order of the deploy is :data:`tierchain.workflows.deploy.PLAN` (``deploy --dry-run`` prints
it with the gas of each step). Every admin action can be printed as the calldata an admin
multisig must execute instead of being sent (``--calldata-only``).
"""

from __future__ import annotations

import re
from typing import Any, Final

import click
from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from rich.console import Console
from rich.table import Table

from tierchain.chain.abi import call_data
from tierchain.chain.deployment import CONTRACTS, deployment_path
from tierchain.chain.local import LOCAL_CHAIN_IDS, NETWORK_PROFILES, FixedPriceSender, dev_accounts
from tierchain.chain.revert import decode_exception
from tierchain.chain.sender import Sender, TxRequest
from tierchain.cli.common import CliState, command_options, parse_address, parse_bytes32, pass_state
from tierchain.core.errors import UsageError
from tierchain.core.money import format_units
from tierchain.workflows.deploy import (
    DEMO,
    DeployParams,
    DeployWorkflow,
    check_currency,
    check_record_free,
    dry_run,
    start_or_resume,
    write_sources,
)
from tierchain.workflows.journal import Journal

_ARTIFACT: Final = {
    "membership": "Membership", "registry": "InvoiceRegistry", "relay": "RequestRelay",
    "token": "PayableToken", "desk": "FinancingDesk", "settlement": "Settlement",
}  # fmt: skip


_PROFILE: Final = "tierchain.profile"


def profile_signer(state: CliState) -> Sender:
    """The signer, sending at the profile's fixed gas price if it has one (``poa``: 0)."""
    profile = click.get_current_context().meta.get(_PROFILE)
    if profile is not None and profile.gas_price is not None and state._sender is None:
        state._sender = FixedPriceSender(state.web3(), state.account(), gas_price=profile.gas_price,
                                         confirmations=state.confirmations, timeout=state.timeout)  # fmt: skip
    return state.signer()


def _profile_price() -> int | None:
    profile = click.get_current_context().meta.get(_PROFILE)
    return None if profile is None else profile.gas_price


def profile_option(f: Any) -> Any:
    """``--profile local|testnet|poa``: fee mode and confirmations of a kind of network."""

    def apply(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is None:
            return
        state = ctx.ensure_object(CliState)
        profile = NETWORK_PROFILES[value]
        ctx.meta[_PROFILE] = profile
        state.legacy = state.legacy or profile.legacy
        if state.confirmations == 1:
            state.confirmations = profile.confirmations
        state.timeout = max(state.timeout, profile.timeout)

    return click.option(
        "--profile", type=click.Choice(sorted(NETWORK_PROFILES)), default=None, expose_value=False,
        callback=apply, is_eager=False,
        help="network profile: local (instant), testnet (EIP-1559 fees, 2 confirmations), poa "
             "(permissioned proof-of-authority: legacy zero-price fees, instant finality)",
    )(f)  # fmt: skip


def _wei(value: int) -> str:
    return f"{format_units(value, 18)} ETH" if value else "0 ETH"


@click.command()
@click.option("--operator", "operator_address", default=None, metavar="ADDRESS",
              help="the platform operator [default on local chains: development key 1]")  # fmt: skip
@click.option("--operator-account", type=click.IntRange(0, 19), default=None, metavar="N",
              help="the operator as a development key (local chains only)")  # fmt: skip
@click.option("--currency", "currency", default=None, metavar="ADDRESS|demo",
              help="the payables' currency: an existing ERC-20 on the chain, or `demo` to deploy the "
                   "demo currency [default: demo on local chains; required elsewhere]")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="show the plan, the gas of every step and the cost; send nothing")
@click.option("--replace", is_flag=True,
              help="deploy although a valid record exists (the old record is kept, renamed)")  # fmt: skip
@click.option("--yes", is_flag=True, help="do not ask before deploying on a non-local chain")
@profile_option
@command_options
@pass_state
def deploy(
    state: CliState, operator_address: str | None, operator_account: int | None, currency: str | None,
    dry_run: bool, replace: bool, yes: bool,
) -> None:  # fmt: skip
    """Deploy and wire the contract set; record it under <home>/deployments/<chain id>.json,
    with each contract's standard-JSON compiler input beside it (for explorer verification).

    The deploy is journaled: killed or cut off at any step, run the same command again (or
    `tierchain resume <id>`) and it finishes without a second copy of any contract. Signs with
    --from (a keystore) or --dev-account N; on a local chain without either, with development
    key 0.

    Example: tierchain deploy --rpc URL --from 0xYourKey --operator 0xOperator --currency 0xToken --dry-run
    """
    w3 = state.web3()
    chain_id = state.chain_id
    local = chain_id in LOCAL_CHAIN_IDS
    if operator_address is not None and operator_account is not None:
        raise UsageError("give either --operator or --operator-account, not both")
    if operator_address is not None:
        operator = parse_address(operator_address, "--operator")
    elif operator_account is not None or local:
        if not local:
            raise UsageError(
                f"--operator-account uses the public development keys: local chains only "
                f"(this is chain {chain_id}); give --operator ADDRESS"
            )
        operator = to_checksum_address(dev_accounts()[1 if operator_account is None else operator_account].address)
    else:
        raise UsageError(f"chain {chain_id} is not a local chain: give --operator ADDRESS")
    if not state.has_signer():
        if not local:
            raise UsageError("give the deployer: --from ADDRESS (a keystore)")
        state.dev_account = 0
    deployer = state.signer_address()
    if currency is None:
        if not local:
            raise UsageError(
                f"chain {chain_id} is not a local chain: give --currency ADDRESS (an existing ERC-20 "
                "there), or --currency demo to deploy the demo currency (its operator mints at will)"
            )
        currency = DEMO
    info = None
    if currency.lower() != DEMO:
        info = check_currency(w3, parse_address(currency, "--currency"))
        currency = info.address
    else:
        currency = DEMO
    params = DeployParams(admin=deployer, operator=operator, currency=currency, replace=replace)
    out = state.stderr()
    if info is not None and not state.json:
        out.print(f"currency {info.address}: {info.symbol}, {info.decimals} decimals")
    if dry_run:
        _dry_run(state, params)
        return
    check_record_free(w3, None, replace)  # before any password prompt
    if not local and not state.json and not yes:
        click.confirm(
            f"deploy on chain {chain_id} from {deployer} with operator {operator}?",
            abort=True, err=True,
        )  # fmt: skip
    admin = profile_signer(state)
    if not state.json:
        out.print(f"chain {chain_id}; deployer {admin.address}; operator {operator}")
    journal = Journal()
    try:
        wf: DeployWorkflow = start_or_resume(journal, w3, admin, params, None)
    finally:
        journal.close()
    d = wf.deployment
    assert d is not None
    path = wf.record_path or deployment_path(chain_id)
    sources = write_sources(path, demo_currency=params.demo_currency)
    doc = {"chain_id": chain_id, "record": str(path), "workflow_id": wf.id, "sources": str(sources) if sources
           else None, **d.to_json()}  # fmt: skip

    def human(console: Console) -> None:
        for name in CONTRACTS:
            gas = f"gas {d.gas_used[name]:,}" if name in d.gas_used else "existing, not deployed here"
            console.print(f"  {name:<10} {d.address_of(name)}  {gas}")
        console.print(f"gas used in total {sum(d.gas_used.values()):,} ({len(d.tx_hashes)} transactions, "
                      f"journal workflow {wf.id})")  # fmt: skip
        console.print(f"recorded in {path}")
        if sources:
            console.print(f"standard-JSON compiler input per contract in {sources}")
        console.print(
            f"next: the admin admits the operator, e.g. `tierchain members admit {operator} "
            "--role operator --identity <its legal identity>` signed by the deployer"
        )

    state.emit(doc, human)


def _dry_run(state: CliState, params: DeployParams) -> None:
    w3 = state.web3()
    plan = dry_run(w3, params.admin, params, legacy=state.legacy, gas_price=_profile_price())
    doc = {
        "chain_id": plan.chain_id, "deployer": plan.deployer, "fee_mode": plan.fee_mode,
        "gas_price_wei": str(plan.gas_price_wei), "max_fee_wei": str(plan.max_fee_wei),
        "steps": [{"n": i, "name": s.step.name, "stage": s.step.stage, "action": s.step.describe(),
                   "creates": s.step.creates, "args": [str(a) for a in s.args], "gas": s.gas,
                   "address": s.address} for i, s in enumerate(plan.steps, 1)],
        "total_gas": plan.total_gas, "cost_wei": str(plan.cost_wei),
        "max_cost_wei": str(plan.max_cost_wei), "balance_wei": str(plan.balance_wei),
        "can_pay": plan.can_pay, "sent": False,
    }  # fmt: skip

    def human(console: Console) -> None:
        table = Table(title=f"deploy plan on chain {plan.chain_id} from {plan.deployer} (nothing sent)")
        for col in ("#", "stage", "step", "arguments", "gas (estimate)", "address"):
            table.add_column(col, justify="right" if col in ("#", "stage", "gas (estimate)") else "left")
        for i, s in enumerate(plan.steps, 1):
            table.add_row(str(i), str(s.step.stage), s.step.describe(), ", ".join(str(a) for a in s.args),
                          f"{s.gas:,}", s.address or "")  # fmt: skip
        console.print(table)
        console.print(f"total gas {plan.total_gas:,}; fees {plan.fee_mode} at {plan.gas_price_wei:,} wei/gas: "
                      f"{_wei(plan.cost_wei)} expected, at most {_wei(plan.max_cost_wei)}")  # fmt: skip
        verdict = "can pay" if plan.can_pay else "CANNOT pay: fund it first"
        console.print(f"deployer balance {_wei(plan.balance_wei)}: {verdict}")

    state.emit(doc, human)


# ---------------------------------------------------------------------------- admin


@click.group()
def admin() -> None:
    """The consortium admin (held by Membership; every contract follows it): who it is, the
    two-step hand-over, and calldata of any admin action for a multisig to execute."""


_calldata_only = click.option(
    "--calldata-only", is_flag=True,
    help="print the transaction (to, value, data) for the admin multisig instead of sending it",
)  # fmt: skip


def _emit_call(state: CliState, req: TxRequest, what: str, simulated_from: str | None) -> None:
    simulated = None
    if simulated_from is not None:
        try:
            assert req.to is not None
            state.web3().eth.call({"from": simulated_from, "to": req.to, "data": HexBytes(req.data)})
            simulated = "ok"
        except Exception as exc:  # a revert: shown, not fatal (the multisig may not be admin yet)
            revert = decode_exception(exc)
            simulated = f"reverts: {revert if revert is not None else str(exc).splitlines()[0][:160]}"
    doc = {"to": req.to, "value": "0", "data": "0x" + req.data.hex(), "action": what,
           "simulated_from": simulated_from, "simulation": simulated}  # fmt: skip
    text = f"{what}\n  to    {req.to}\n  value 0\n  data  0x{req.data.hex()}"
    if simulated is not None:
        text += f"\n  simulated as {simulated_from}: {simulated}"
    state.emit(doc, text)


@admin.command("status")
@profile_option
@command_options
@pass_state
def admin_status(state: CliState) -> None:
    """The admin and the pending admin, and whether each is a contract (a multisig?).

    Example: tierchain admin status --json
    """
    c = state.deployment()
    w3 = state.web3()
    membership = c.membership
    raw_admin = _read_address(state, membership, "admin()")
    pending = _read_address(state, membership, "pendingAdmin()")
    doc = {"membership": membership, "admin": raw_admin, "admin_is_contract": bool(w3.eth.get_code(raw_admin)),
           "pending_admin": pending if int(pending, 16) else None}  # fmt: skip
    state.emit(doc, f"admin {raw_admin}{' (a contract)' if doc['admin_is_contract'] else ''}; pending "
               f"{doc['pending_admin'] or 'none'}")  # fmt: skip


def _read_address(state: CliState, to: str, signature: str) -> ChecksumAddress:
    from web3 import Web3

    raw = state.web3().eth.call({"to": to_checksum_address(to), "data": HexBytes(Web3.keccak(text=signature)[:4])})
    return to_checksum_address(abi_decode(["address"], bytes(raw))[0])


@admin.command("transfer")
@click.argument("new_admin")
@_calldata_only
@profile_option
@command_options
@pass_state
def admin_transfer(state: CliState, new_admin: str, calldata_only: bool) -> None:
    """Step 1 of the hand-over: propose NEW_ADMIN (an account or a contract: a multisig, a
    timelock). Nothing changes until NEW_ADMIN accepts (`tierchain admin accept`).

    Example: tierchain admin transfer 0xMultisig --from 0xCurrentAdmin
    """
    target = parse_address(new_admin, "NEW_ADMIN")
    d = state.deployment()
    req = TxRequest(d.membership, call_data("Membership", "transferAdmin(address)", target),
                    label="membership.transferAdmin")  # fmt: skip
    current = _read_address(state, d.membership, "admin()")
    if calldata_only:
        _emit_call(state, req, f"transferAdmin({target}) on Membership {d.membership}", current)
        return
    if state.signer_address() != current:
        raise UsageError(f"only the admin {current} can start a hand-over (the signer is "
                         f"{state.signer_address()}); a multisig admin: use --calldata-only")  # fmt: skip
    receipt = profile_signer(state).send(req)
    state.emit({"tx": receipt.tx_hash, "pending_admin": target},
               f"hand-over proposed to {target} (tx {receipt.tx_hash}); it takes effect when "
               f"{target} runs acceptAdmin(): "
               + ("it is a contract: `tierchain admin accept --calldata-only` prints what it must execute"
                  if state.web3().eth.get_code(target) else "`tierchain admin accept --from` it"))  # fmt: skip


@admin.command("accept")
@_calldata_only
@profile_option
@command_options
@pass_state
def admin_accept(state: CliState, calldata_only: bool) -> None:
    """Step 2 of the hand-over: the pending admin accepts. A contract admin executes the printed
    calldata (--calldata-only) through its own approval process.

    Example: tierchain admin accept --calldata-only --json
    """
    d = state.deployment()
    pending = _read_address(state, d.membership, "pendingAdmin()")
    if not int(pending, 16):
        raise UsageError("no admin hand-over is pending: start one with `tierchain admin transfer`")
    req = TxRequest(d.membership, call_data("Membership", "acceptAdmin()"), label="membership.acceptAdmin")
    if calldata_only:
        _emit_call(state, req, f"acceptAdmin() on Membership {d.membership}, executed by {pending}", pending)
        return
    if state.signer_address() != pending:
        raise UsageError(f"only the pending admin {pending} can accept (the signer is {state.signer_address()})")
    receipt = profile_signer(state).send(req)
    state.emit({"tx": receipt.tx_hash, "admin": pending}, f"{pending} is now the admin (tx {receipt.tx_hash})")


_TYPE_RE: Final = re.compile(r"(address|bool|bytes32|u?int[0-9]*)", re.ASCII)


def _parse_arg(kind: str, text: str, n: int) -> Any:
    name = f"argument {n}"
    if kind == "address":
        return parse_address(text, name)
    if kind == "bool":
        if text.lower() not in ("true", "false"):
            raise UsageError(f"{name}: {text!r} is not true or false")
        return text.lower() == "true"
    if kind == "bytes32":
        return parse_bytes32(text, name)
    if not re.fullmatch(r"[0-9]{1,78}", text, re.ASCII):
        raise UsageError(f"{name}: {text[:40]!r} is not a whole number")
    return int(text)


@admin.command("calldata")
@click.argument("contract", type=click.Choice(sorted(_ARTIFACT)))
@click.argument("signature")
@click.argument("args", nargs=-1)
@profile_option
@command_options
@pass_state
def admin_calldata(state: CliState, contract: str, signature: str, args: tuple[str, ...]) -> None:
    """The transaction an admin multisig must execute for any admin action: CONTRACT of the
    deployment, the function SIGNATURE and its ARGS (address, bool, bytes32, integers). It is
    simulated from the current admin; nothing is sent.

    Example: tierchain admin calldata relay "setTargetAllowed(address,bool)" 0xTarget true
    """
    d = state.deployment()
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\(([a-z0-9,]*)\)", signature.replace(" ", ""))
    if match is None:
        raise UsageError(f"{signature[:60]!r} is not a function signature like setTargetAllowed(address,bool)")
    types = [t for t in match.group(2).split(",") if t]
    if any(not _TYPE_RE.fullmatch(t) for t in types):
        raise UsageError(f"{signature}: only address, bool, bytes32 and integer arguments are supported")
    artifact = _ARTIFACT[contract]
    from tierchain.chain.artifacts import load_artifact

    known = {f"{e['name']}({','.join(i['type'] for i in e.get('inputs', ()))})"
             for e in load_artifact(artifact).entries("function")}  # fmt: skip
    sig = match.group(0)
    if sig not in known:
        raise UsageError(f"{artifact} has no function {sig}")
    if len(args) != len(types):
        raise UsageError(f"{sig} takes {len(types)} argument(s), {len(args)} given")
    values = [_parse_arg(t, a, n) for n, (t, a) in enumerate(zip(types, args, strict=True), 1)]
    to = d.address_of(contract)
    req = TxRequest(to, call_data(artifact, sig, *values), label=f"{contract}.{sig}")
    current = _read_address(state, d.membership, "admin()")
    _emit_call(state, req, f"{sig} on {artifact} {to}", current)
