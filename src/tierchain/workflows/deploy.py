"""THE deployment plan: which contracts, with which constructor arguments, wired by which calls,
in which order. Everything else (the journaled deploy, ``deploy --dry-run``, ``tierchain deploy
--print-plan``, docs/DEPLOY.md) reads :data:`PLAN`; nowhere else restates the order.

Each stage's steps are independent of each other and are signed and broadcast as one batch;
a stage starts when the previous one is mined. Arguments are :class:`Ref` (the address a
previous creation step produced, or a parameter such as ``admin``) or literals.

A deploy is a journaled workflow (kind ``deploy``, see :mod:`tierchain.workflows.journal`):
every creation and wiring call is recorded, signed, before it leaves the process, so a deploy
killed at any step finishes with ``tierchain resume <id>`` or by running the same ``deploy``
again, never with a second copy of a contract. The record
``<home>/deployments/<chainId>.json`` is written only when the set is complete and its wiring
verified; an existing valid record is never overwritten without ``replace`` (the old one is kept,
renamed with a UTC timestamp).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3

from tierchain.chain.abi import call_data, creation_code
from tierchain.chain.deployment import (
    _ARTIFACT_OF,
    AGENT_DESK,
    AGENT_SETTLEMENT,
    CONTRACTS,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_MAX_TENOR,
    DEFAULT_MIN_PIECE_CENTS,
    Deployment,
    deployment_path,
    genesis_hash,
    save_deployment,
    verify_deployment,
)
from tierchain.chain.local import connect, start_fork, stop_fork
from tierchain.chain.sender import DEFAULT_PRIORITY_FEE, Receipt, Sender, TxRequest
from tierchain.core.errors import DeploymentError, UsageError
from tierchain.workflows.journal import (
    Journal,
    Outputs,
    Step,
    Workflow,
    WorkflowEnv,
    default_journal_path,
    register_kind,
)

KIND: Final = "deploy"
DEMO: Final = "demo"
"""``currency=DEMO``: deploy the demo currency (a token its operator mints at will)."""


@dataclass(frozen=True)
class Ref:
    """An argument resolved at run time: a created contract's address (``membership``...) or a
    deploy parameter (``admin``, ``operator``, ``currency``, ``min_piece_cents``...)."""

    name: str


Arg = Ref | int | bool


@dataclass(frozen=True)
class PlanStep:
    """One transaction of the plan: a creation (``signature`` None) of ``contract`` or a call
    on ``contract`` of ``artifact.signature``."""

    name: str
    stage: int
    contract: str
    signature: str | None
    args: tuple[Arg, ...]
    demo_only: bool = False

    @property
    def artifact(self) -> str:
        return _ARTIFACT_OF[self.contract]

    @property
    def creates(self) -> bool:
        return self.signature is None

    def describe(self) -> str:
        shown = ", ".join(a.name if isinstance(a, Ref) else str(a) for a in self.args)
        if self.creates:
            return f"new {self.artifact}({shown})"
        return f"{self.contract}.{self.signature.split('(')[0] if self.signature else ''}({shown})"


def _new(stage: int, contract: str, *args: Arg, demo_only: bool = False) -> PlanStep:
    return PlanStep(contract, stage, contract, None, args, demo_only)


def _call(stage: int, name: str, contract: str, signature: str, *args: Arg) -> PlanStep:
    return PlanStep(name, stage, contract, signature, args)


_R = Ref
PLAN: Final[tuple[PlanStep, ...]] = (
    _new(0, "membership", _R("admin")),
    _new(1, "registry", _R("membership")),
    _new(1, "relay", _R("membership")),
    _new(1, "currency", _R("operator"), demo_only=True),
    _new(2, "token", _R("membership"), _R("registry"), _R("min_piece_cents"), _R("max_tenor_seconds"),
         _R("relay")),
    _call(3, "registry.bindToken", "registry", "bindToken(address)", _R("token")),
    _call(3, "membership.addListener", "membership", "addListener(address)", _R("token")),
    _call(3, "relay.bindToken", "relay", "bindToken(address)", _R("token")),  # also allows the token
    _new(3, "desk", _R("token"), _R("membership"), _R("relay")),
    _new(3, "settlement", _R("token"), _R("relay"), _R("grace_seconds")),
    _call(4, "token.setAgent.desk", "token", "setAgent(address,uint8)", _R("desk"), AGENT_DESK),
    _call(4, "token.setAgent.settlement", "token", "setAgent(address,uint8)", _R("settlement"),
          AGENT_SETTLEMENT),
    _call(4, "relay.allow.desk", "relay", "setTargetAllowed(address,bool)", _R("desk"), True),
    _call(4, "relay.allow.settlement", "relay", "setTargetAllowed(address,bool)", _R("settlement"), True),
    _call(4, "settlement.setFinancingRecords", "settlement", "setFinancingRecords(address)", _R("desk")),
)  # fmt: skip
"""The deployment, in order. Members are admitted afterwards (the token must already listen)."""


def plan_steps(*, demo_currency: bool) -> list[PlanStep]:
    """The plan's steps for a deploy with (or without) the demo currency."""
    return [s for s in PLAN if demo_currency or not s.demo_only]


def plan_text(*, demo_currency: bool = True) -> str:
    """The plan as numbered lines (for help, docs and ``--dry-run``)."""
    lines = []
    for i, s in enumerate(plan_steps(demo_currency=demo_currency), 1):
        lines.append(f"{i:2}. [stage {s.stage}] {s.describe()}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class DeployParams:
    """What a deploy is made of (stored with its journal entry, so a resume rebuilds it)."""

    admin: ChecksumAddress
    operator: ChecksumAddress
    currency: str = DEMO  # DEMO or an existing ERC-20's address
    min_piece_cents: int = DEFAULT_MIN_PIECE_CENTS
    max_tenor_seconds: int = DEFAULT_MAX_TENOR
    grace_seconds: int = DEFAULT_GRACE_SECONDS
    replace: bool = False

    @property
    def demo_currency(self) -> bool:
        return self.currency == DEMO

    def to_json(self) -> dict[str, Any]:
        return {
            "admin": self.admin, "operator": self.operator, "currency": self.currency,
            "min_piece_cents": self.min_piece_cents, "max_tenor_seconds": self.max_tenor_seconds,
            "grace_seconds": self.grace_seconds, "replace": self.replace,
        }  # fmt: skip

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> DeployParams:
        currency = str(doc.get("currency", DEMO))
        return cls(
            admin=to_checksum_address(str(doc["admin"])),
            operator=to_checksum_address(str(doc["operator"])),
            currency=currency if currency == DEMO else to_checksum_address(currency),
            min_piece_cents=int(doc.get("min_piece_cents", DEFAULT_MIN_PIECE_CENTS)),
            max_tenor_seconds=int(doc.get("max_tenor_seconds", DEFAULT_MAX_TENOR)),
            grace_seconds=int(doc.get("grace_seconds", DEFAULT_GRACE_SECONDS)),
            replace=bool(doc.get("replace", False)),
        )

    def same_set(self, other: DeployParams) -> bool:
        return {**self.to_json(), "replace": 0} == {**other.to_json(), "replace": 0}


def resolve_args(step: PlanStep, params: DeployParams, addresses: Mapping[str, str]) -> list[Any]:
    """The step's arguments with every :class:`Ref` replaced by its value."""
    values: dict[str, Any] = {**params.to_json(), **addresses}
    out: list[Any] = []
    for a in step.args:
        if isinstance(a, Ref):
            if a.name not in values:
                raise DeploymentError(f"plan step {step.name}: {a.name} is not known yet")
            out.append(values[a.name])
        else:
            out.append(a)
    return out


def step_request(step: PlanStep, params: DeployParams, addresses: Mapping[str, str]) -> TxRequest:
    """The transaction of one plan step."""
    args = resolve_args(step, params, addresses)
    if step.creates:
        return TxRequest(None, creation_code(step.artifact, *args), label=f"deploy {step.artifact}")
    assert step.signature is not None
    target = to_checksum_address(addresses[step.contract])
    return TxRequest(target, call_data(step.artifact, step.signature, *args), label=step.name)


# ---------------------------------------------------------------------------- currency check


@dataclass(frozen=True)
class CurrencyInfo:
    address: ChecksumAddress
    symbol: str
    decimals: int


def view(w3: Web3, to: str, signature: str, out_type: str, *args: Any, types: Sequence[str] = ()) -> Any:
    """Read a view function by signature (``eth_call``); one decoded value."""
    data = call_data("Membership", signature, *args) if args else bytes(Web3.keccak(text=signature)[:4])
    raw = bytes(w3.eth.call({"to": to_checksum_address(to), "data": HexBytes(data)}))
    return abi_decode([out_type], raw)[0]


def check_currency(w3: Web3, address: str) -> CurrencyInfo:
    """An existing ERC-20 on this chain fit to be the payables' currency: code at the address,
    ``decimals()`` within 2..36 (the token's rule), a ``symbol()``. Checked before signing."""
    addr = to_checksum_address(address)
    chain_id = int(w3.eth.chain_id)
    if not w3.eth.get_code(addr):
        raise DeploymentError(f"currency {addr}: no contract on chain {chain_id} (wrong chain or address?)")
    try:
        decimals = int(view(w3, addr, "decimals()", "uint8"))
    except Exception:
        raise DeploymentError(f"currency {addr}: does not answer decimals() (not an ERC-20?)") from None
    if not 2 <= decimals <= 36:
        raise DeploymentError(f"currency {addr}: {decimals} decimals; payables need a currency with 2..36 decimals")
    try:
        symbol = str(view(w3, addr, "symbol()", "string"))
    except Exception:
        try:
            symbol = bytes(view(w3, addr, "symbol()", "bytes32")).rstrip(b"\0").decode("ascii", "replace")
        except Exception:
            symbol = "?"
    return CurrencyInfo(addr, symbol, decimals)


# ---------------------------------------------------------------------------- the workflow


class DeployWorkflow(Workflow):
    """A journaled deploy that verifies the set and writes the record once every step is done
    (also when finished by ``tierchain resume``)."""

    def __init__(self, journal: Journal, workflow_id: str, w3: Web3, sender: Sender,
                 params: DeployParams, home: Path | None) -> None:  # fmt: skip
        super().__init__(journal, workflow_id, w3, kind=KIND, params=params.to_json())
        self.deploy_params = params
        self.sender = sender
        self.home = home
        self.deployment: Deployment | None = None
        self.record_path: Path | None = None
        self.record = True
        steps = plan_steps(demo_currency=params.demo_currency)
        for stage in sorted({s.stage for s in steps}):
            self.parallel([self._step(s) for s in steps if s.stage == stage])

    def _step(self, step: PlanStep) -> Step:
        params = self.deploy_params

        def build(outputs: Outputs) -> TxRequest:
            return step_request(step, params, _addresses(outputs, params))

        def created(receipt: Receipt) -> str:
            assert receipt.contract_address is not None
            return str(receipt.contract_address)

        return Step(step.name, self.sender, build, created if step.creates else _gas_only,
                    {"plan": step.describe()})  # fmt: skip

    def run(self) -> Outputs:
        outputs = super().run()
        self.finish()
        return outputs

    def resume(self, *, retry_failed: bool = False) -> Outputs:
        outputs = super().resume(retry_failed=retry_failed)
        self.finish()
        return outputs

    def finish(self) -> Deployment:
        """Verify the complete set and write the record (once)."""
        if self.deployment is not None:
            return self.deployment
        steps = {r.name: r for r in self.journal.steps(self.id)}
        addresses = _addresses(self.outputs, self.deploy_params)
        tx_hashes = {n: str(r.tx_hash) for n, r in steps.items() if r.tx_hash}
        gas_used = {n: int(v["gas_used"]) if isinstance(v, dict) else 0 for n, v in self.outputs.items()}
        for name, rec in steps.items():  # creation outputs are addresses: read gas from receipts
            if name in CONTRACTS and rec.tx_hash:
                gas_used[name] = int(self.w3.eth.get_transaction_receipt(rec.tx_hash)["gasUsed"])
        blocks = [r.block_number for r in steps.values() if r.block_number is not None]
        p = self.deploy_params
        deployment = Deployment(
            chain_id=int(self.w3.eth.chain_id), genesis_hash=genesis_hash(self.w3),
            membership=_a(addresses, "membership"), registry=_a(addresses, "registry"),
            relay=_a(addresses, "relay"), token=_a(addresses, "token"),
            currency=_a(addresses, "currency"), desk=_a(addresses, "desk"),
            settlement=_a(addresses, "settlement"), admin=p.admin, operator=p.operator,
            block_number=max(blocks) if blocks else int(self.w3.eth.block_number),
            deployed_at=int(time.time()), min_piece_cents=p.min_piece_cents,
            max_tenor_seconds=p.max_tenor_seconds, tx_hashes=tx_hashes, gas_used=gas_used,
        )  # fmt: skip
        verify_wiring(self.w3, deployment)
        if self.record:
            self.record_path = save_deployment(deployment, self.home, replace=True)
            self.journal.event(self.id, None, "recorded", str(self.record_path))
        self.deployment = deployment
        return deployment


def _gas_only(receipt: Receipt) -> dict[str, int]:
    return {"gas_used": receipt.gas_used}


def _a(addresses: Mapping[str, str], name: str) -> ChecksumAddress:
    if name not in addresses:
        raise DeploymentError(f"the deploy has no {name} address: the set is incomplete")
    return to_checksum_address(addresses[name])


def _addresses(outputs: Outputs, params: DeployParams) -> dict[str, str]:
    found = {k: str(v) for k, v in outputs.items() if k in CONTRACTS and isinstance(v, str)}
    if not params.demo_currency:
        found["currency"] = params.currency
    return found


def verify_wiring(w3: Web3, d: Deployment) -> None:
    """Code at every address, and every wiring call of :data:`PLAN` in effect."""
    verify_deployment(w3, d)
    checks: list[tuple[str, Any, Any]] = [
        ("registry.token()", view(w3, d.registry, "token()", "address"), d.token),
        ("relay.token()", view(w3, d.relay, "token()", "address"), d.token),
        ("token in membership.listeners()", d.token in
         [to_checksum_address(a) for a in view(w3, d.membership, "listeners()", "address[]")], True),
        ("token.agentKinds(desk)", view(w3, d.token, "agentKinds(address)", "uint8", d.desk), AGENT_DESK),
        ("token.agentKinds(settlement)", view(w3, d.token, "agentKinds(address)", "uint8", d.settlement),
         AGENT_SETTLEMENT),
        ("relay.isTargetAllowed(desk)", view(w3, d.relay, "isTargetAllowed(address)", "bool", d.desk), True),
        ("relay.isTargetAllowed(settlement)",
         view(w3, d.relay, "isTargetAllowed(address)", "bool", d.settlement), True),
        ("settlement.financingRecords()", view(w3, d.settlement, "financingRecords()", "address"), d.desk),
    ]  # fmt: skip
    wrong = [f"{what} = {got} (expected {want})" for what, got, want in checks
             if (to_checksum_address(got) if isinstance(got, str) else got) != want]  # fmt: skip
    if wrong:
        raise DeploymentError("the deployed set is not wired as planned: " + "; ".join(wrong))


@register_kind(KIND)
def _deploy_kind(env: WorkflowEnv, workflow_id: str, params: Mapping[str, Any]) -> Workflow:
    p = DeployParams.from_json(params)
    return DeployWorkflow(env.journal, workflow_id, env.w3, env.sender_for(p.admin), p, env.home)


# ---------------------------------------------------------------------------- entry point


def unfinished_deploys(journal: Journal, w3: Web3, admin: str) -> list[str]:
    """Ids of deploy workflows by ``admin`` on this chain whose record was never written."""
    chain_id, genesis = int(w3.eth.chain_id), genesis_hash(w3)
    found = []
    for w in journal.workflows():
        if w.kind != KIND or w.chain_id != chain_id or w.genesis_hash != genesis:
            continue
        if to_checksum_address(str(w.params.get("admin"))) != to_checksum_address(admin):
            continue
        if any(e["what"] == "recorded" for e in journal.events(w.workflow_id)):
            continue
        found.append(w.workflow_id)
    return found


def check_record_free(w3: Web3, home: Path | None, replace: bool) -> Path | None:
    """The existing valid record this deploy would replace; :class:`DeploymentError` (before
    anything is signed) if there is one and ``replace`` is not set."""
    path = deployment_path(int(w3.eth.chain_id), home)
    if not path.is_file():
        return None
    try:
        current = Deployment.from_json(json.loads(path.read_text()))
        verify_deployment(w3, current)
    except (DeploymentError, ValueError):
        return None  # stale or unreadable: kept (renamed) when the new record is written
    if not replace:
        raise DeploymentError(
            f"a deployment is already recorded for chain {current.chain_id} at {path} (token "
            f"{current.token}); pass --replace to deploy a new set (the old record is kept, "
            "renamed with a timestamp)"
        )
    return path


def deploy_all(
    w3: Web3,
    admin: Sender,
    operator: ChecksumAddress | str,
    *,
    currency: str = DEMO,
    min_piece_cents: int = DEFAULT_MIN_PIECE_CENTS,
    max_tenor_seconds: int = DEFAULT_MAX_TENOR,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
    home: Path | None = None,
    record: bool = True,
    replace: bool = False,
    journal: Journal | None = None,
    workflow_id: str | None = None,
) -> Deployment:
    """Deploy and wire the set of :data:`PLAN` with ``admin`` (journaled), verify it and record
    it. An unfinished deploy of the same set by the same admin on this chain is resumed rather
    than started anew. ``currency``: :data:`DEMO` or an existing ERC-20's address (checked)."""
    if currency != DEMO:
        currency = check_currency(w3, currency).address
    params = DeployParams(
        admin=admin.address, operator=to_checksum_address(operator), currency=currency,
        min_piece_cents=min_piece_cents, max_tenor_seconds=max_tenor_seconds,
        grace_seconds=grace_seconds, replace=replace,
    )  # fmt: skip
    own_journal = journal is None
    jr = journal if journal is not None else Journal(default_journal_path(home))
    try:
        workflow = start_or_resume(jr, w3, admin, params, home, record=record, workflow_id=workflow_id)
        assert workflow.deployment is not None
        return workflow.deployment
    finally:
        if own_journal:
            jr.close()


def start_or_resume(
    journal: Journal, w3: Web3, admin: Sender, params: DeployParams, home: Path | None, *,
    record: bool = True, workflow_id: str | None = None,
) -> DeployWorkflow:  # fmt: skip
    """Resume the unfinished deploy of the same set, or start a new one (refused before signing
    if a valid record exists and ``params.replace`` is not set)."""
    pending = [workflow_id] if workflow_id is not None else unfinished_deploys(journal, w3, admin.address)
    for wid in reversed(pending):
        try:
            recorded = journal.workflow(wid)
        except UsageError:
            continue
        earlier = DeployParams.from_json(recorded.params)
        if not earlier.same_set(params):
            raise UsageError(
                f"an unfinished deploy {wid!r} by {admin.address} with other settings is in the "
                f"journal ({_diff(earlier, params)}): finish it with `tierchain resume {wid}`, "
                "or deploy with those settings"
            )
        if params.replace and not earlier.replace:
            params = earlier  # the same set; --replace only matters for the record
        wf = DeployWorkflow(journal, wid, w3, admin, earlier if not params.replace else params, home)
        _no_record(wf, record)
        wf.resume()
        return wf
    if record:
        check_record_free(w3, home, params.replace)
    wid = workflow_id or f"deploy-{int(w3.eth.chain_id)}-{admin.address[2:10].lower()}-{time.time_ns()}"
    wf = DeployWorkflow(journal, wid, w3, admin, params, home)
    _no_record(wf, record)
    wf.run()
    return wf


def _no_record(wf: DeployWorkflow, record: bool) -> None:
    wf.record = record


def _diff(a: DeployParams, b: DeployParams) -> str:
    ja, jb = a.to_json(), b.to_json()
    return ", ".join(f"{k} {ja[k]} vs {jb[k]}" for k in ja if k != "replace" and ja[k] != jb[k])


@dataclass
class StepCost:
    """One step of a dry run."""

    step: PlanStep
    args: list[Any]
    gas: int
    address: str | None = None


@dataclass
class DryRun:
    """What a deploy would do and cost; nothing was sent to the chain."""

    chain_id: int
    deployer: ChecksumAddress
    steps: list[StepCost]
    fee_mode: Literal["eip1559", "legacy"]
    gas_price_wei: int
    max_fee_wei: int
    balance_wei: int
    gas_multiplier: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_gas(self) -> int:
        return sum(s.gas for s in self.steps)

    @property
    def cost_wei(self) -> int:
        return self.total_gas * self.gas_price_wei

    @property
    def max_cost_wei(self) -> int:
        return int(self.total_gas * self.gas_multiplier) * self.max_fee_wei

    @property
    def can_pay(self) -> bool:
        return self.balance_wei >= self.max_cost_wei


def current_fees(
    w3: Web3, *, legacy: bool = False, priority_fee: int = DEFAULT_PRIORITY_FEE, gas_price: int | None = None
) -> tuple[str, int, int]:
    """(fee mode, expected price per gas, highest price per gas a transaction may pay), as the
    :class:`~tierchain.chain.sender.Sender` would quote them now (``gas_price``: a fixed legacy
    price, as a PoA profile sends)."""
    if gas_price is not None:
        return "legacy", gas_price, gas_price
    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if legacy or base is None:
        price = int(w3.eth.gas_price)
        if base:
            price = max(price, 2 * int(base) + priority_fee)
        return "legacy", price, price
    return "eip1559", int(base) + priority_fee, 2 * int(base) + priority_fee


def dry_run(
    w3: Web3, deployer: str, params: DeployParams, *, legacy: bool = False,
    priority_fee: int = DEFAULT_PRIORITY_FEE, gas_multiplier: float = 1.25, gas_price: int | None = None,
) -> DryRun:  # fmt: skip
    """Run :data:`PLAN` on a throw-away Anvil fork of the chain (the deployer impersonated, its
    nonce as on the chain, so the addresses shown are the ones a deploy sent next would get):
    the gas of every step from ``eth_estimateGas``, priced at the chain's current fee, against
    the deployer's real balance. Nothing is signed; nothing reaches the chain."""
    url = str(getattr(w3.provider, "endpoint_uri", "") or "")
    if not url:
        raise UsageError("a dry run needs an HTTP JSON-RPC URL to fork from")
    who = to_checksum_address(deployer)
    mode, price, max_fee = current_fees(w3, legacy=legacy, priority_fee=priority_fee, gas_price=gas_price)
    balance = int(w3.eth.get_balance(who))
    chain_id = int(w3.eth.chain_id)
    fork = start_fork(url)
    costs: list[StepCost] = []
    try:
        f = connect(fork.url)
        for method, args in (("anvil_impersonateAccount", [who]), ("anvil_setBalance", [who, hex(10**30)]),
                             ("anvil_setNextBlockBaseFeePerGas", ["0x0"])):  # fmt: skip
            f.provider.make_request(method, args)  # type: ignore[arg-type]
        addresses: dict[str, str] = {} if params.demo_currency else {"currency": params.currency}
        for step in plan_steps(demo_currency=params.demo_currency):
            req = step_request(step, params, addresses)
            args = resolve_args(step, params, addresses)
            tx: dict[str, Any] = {"from": who, "data": HexBytes(req.data)}
            if req.to is not None:
                tx["to"] = req.to
            try:
                gas = int(f.eth.estimate_gas(cast(Any, tx)))
            except Exception as exc:
                raise DeploymentError(f"dry run: step {step.name} ({step.describe()}) would fail: "
                                      f"{str(exc).splitlines()[0][:200]}") from None  # fmt: skip
            tx_hash = f.eth.send_transaction(cast(Any, {**tx, "gas": int(gas * gas_multiplier), "gasPrice": 0}))
            receipt = f.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
            if int(receipt["status"]) != 1:
                raise DeploymentError(f"dry run: step {step.name} failed on the fork")
            created = receipt.get("contractAddress")
            if step.creates and created:
                addresses[step.contract] = to_checksum_address(str(created))
            costs.append(StepCost(step, args, gas, addresses.get(step.contract) if step.creates else None))
    finally:
        stop_fork(fork)
    return DryRun(chain_id, who, costs, cast(Literal["eip1559", "legacy"], mode), price, max_fee, balance,
                  gas_multiplier)  # fmt: skip


# ---------------------------------------------------------------------------- source metadata

SOURCES_SUFFIX: Final = ".sources"


def standard_json_input(name: str, root: Path | None = None) -> dict[str, Any]:
    """The solc standard-JSON input that reproduces ``build/contracts/<name>.json`` (what
    brownie compiled): every source the contract uses, the optimizer, EVM version and
    remappings, plus the compiler version. Explorers accepting standard JSON verify with it."""
    from tierchain.chain.artifacts import project_root

    base = root or project_root()
    build = base / "build" / "contracts" / f"{name}.json"
    try:
        art = json.loads(build.read_text())
    except (OSError, ValueError):
        raise DeploymentError(f"no compiled {name} in {build.parent}: run `brownie compile`") from None
    compiler = art["compiler"]
    sources: dict[str, dict[str, str]] = {}
    for rel in sorted(set(art["allSourcePaths"].values())):
        path = base / rel
        try:
            sources[rel] = {"content": path.read_text()}
        except OSError:
            raise DeploymentError(f"source {rel} of {name} is missing under {base}") from None
    remappings = [f"{k}={v}" for k, v in (
        ("@openzeppelin/contracts", "node_modules/@openzeppelin/contracts"),
        ("@solvprotocol/erc-3525", "node_modules/@solvprotocol/erc-3525"),
    )]  # fmt: skip
    return {
        "compiler_version": "v" + str(compiler["version"]),
        "contract": f"{art['sourcePath']}:{name}",
        "input": {
            "language": "Solidity",
            "sources": sources,
            "settings": {
                "optimizer": compiler["optimizer"],
                "evmVersion": compiler["evm_version"],
                "remappings": remappings,
                "outputSelection": {"*": {"*": ["abi", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}},
            },
        },
    }


def write_sources(record: Path, root: Path | None = None, *, demo_currency: bool = True) -> Path | None:
    """Write ``<record stem>.sources/<Contract>.json`` (standard-JSON input + compiler version)
    for every contract this deploy created; None when the compiled build is not available here."""
    from tierchain.chain.artifacts import project_root
    from tierchain.core.errors import ArtifactError

    try:
        base = root or project_root()
    except ArtifactError:
        return None
    if not (base / "build" / "contracts").is_dir():
        return None
    folder = record.with_name(record.stem + SOURCES_SUFFIX)
    folder.mkdir(parents=True, exist_ok=True)
    for name in sorted({s.artifact for s in plan_steps(demo_currency=demo_currency) if s.creates}):
        doc = standard_json_input(name, base)
        (folder / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    return folder
