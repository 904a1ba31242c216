"""Stateful property test of the request relay (SECURITY.md invariant 8: each signed request
executes at most once).

Random sequences of signing (splits and generic calls, with the signer's next nonce, a used one
or a future one), relaying any signed request again and again by any relayer, and relaying with
another key's signature. After every step:
1. a relay succeeds exactly when the request carries its signer's next nonce and is its signer's;
2. each signer's on-chain nonce equals the number of its requests that executed, and no
   (signer, nonce) ever executed twice;
3. a failed relay changes no nonce.
"""

from __future__ import annotations

from typing import Any

from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import CENTS, DAY, MIN_PIECE
from tierchain.chain.abi import call_data
from tierchain.chain.local import dev_accounts
from tierchain.clients.requests import Call, Domain, Request, SplitPiece, sign_request

who = st.integers(min_value=0, max_value=2)
offset = st.sampled_from([0, 0, 0, -1, 1])  # mostly the next nonce, sometimes used or future
pick = st.integers(min_value=0, max_value=10_000)
cents = st.integers(min_value=MIN_PIECE, max_value=1_000 * CENTS)


class RelayMachine(RuleBasedStateMachine):
    """Plain hypothesis (brownie's state_machine fails under mypyc); each example starts from
    the snapshot the test takes and reverts to it in teardown."""

    relay: Any
    probe: Any
    signers: list[Any]
    pieces: list[int]
    relayers: list[Any]
    domain: Domain
    deadline: int
    chain: Any

    def __init__(self) -> None:
        super().__init__()
        self.nonces = [0, 0, 0]
        self.executed: set[tuple[str, int]] = set()
        self.pool: list[tuple[int, Request, bytes]] = []  # (signer index, request, signature)
        self.keys = {k.address: k for k in dev_accounts()}

    def teardown(self) -> None:
        self.chain.revert()

    def _relay(self, request: Request, signature: bytes, relayer: Any) -> bool:
        fn = {
            "SplitPiece": self.relay.splitPiece,
            "Call": self.relay.relayCall,
        }[request.PRIMARY_TYPE]
        try:
            fn(request.abi_tuple(), signature, {"from": relayer})
            return True
        except VirtualMachineError:
            return False

    # ------------------------------------------------------------------ rules

    @rule(i=who, off=offset, value=cents, to=who)
    def sign_split(self, i: int, off: int, value: int, to: int) -> None:
        signer = self.signers[i]
        nonce = max(0, self.nonces[i] + off)
        request = SplitPiece(signer.address, self.pieces[i], self.signers[to].address, value, nonce, self.deadline)
        self.pool.append((i, request, sign_request(request, self.domain, self.keys[signer.address]).signature))

    @rule(i=who, off=offset, value=cents)
    def sign_call(self, i: int, off: int, value: int) -> None:
        signer = self.signers[i]
        nonce = max(0, self.nonces[i] + off)
        data = call_data("ForwarderProbe", "record(uint256)", value)
        request = Call(signer.address, self.probe.address, data, nonce, self.deadline)
        self.pool.append((i, request, sign_request(request, self.domain, self.keys[signer.address]).signature))

    @rule(p=pick, r=who)
    def relay_signed(self, p: int, r: int) -> None:
        if not self.pool:
            return
        i, request, signature = self.pool[p % len(self.pool)]
        expected = request.nonce == self.nonces[i]
        before = list(self.nonces)
        ok = self._relay(request, signature, self.relayers[r])
        assert ok == expected, (request, self.nonces)
        if ok:
            key = (request.signer, request.nonce)
            assert key not in self.executed
            self.executed.add(key)
            self.nonces[i] += 1
        else:
            assert self.nonces == before

    @rule(p=pick, r=who, other=who)
    def relay_with_another_key(self, p: int, r: int, other: int) -> None:
        if not self.pool:
            return
        i, request, _ = self.pool[p % len(self.pool)]
        if other == i:
            other = (other + 1) % 3
        forged = sign_request(request, self.domain, self.keys[self.signers[other].address], contract_signer=True)
        assert not self._relay(request, forged.signature, self.relayers[r])

    # ------------------------------------------------------------------ invariants

    @invariant()
    def invariant_nonces_count_executed_requests(self) -> None:
        for i, signer in enumerate(self.signers):
            assert self.relay.nonces(signer) == self.nonces[i]
            assert sum(1 for s, _ in self.executed if s == signer.address) == self.nonces[i]


def test_each_signed_request_executes_at_most_once(
    relay, token, issue, suppliers, operator, outsider, admin, ForwarderProbe, chain, members
):
    signers = suppliers[:3]
    pieces = [issue(face=10_000_000 * CENTS, creditor=s)[1] for s in signers]
    probe = ForwarderProbe.deploy(relay, {"from": admin})
    relay.setTargetAllowed(probe, True, {"from": admin})
    RelayMachine.relay, RelayMachine.probe, RelayMachine.chain = relay, probe, chain
    RelayMachine.signers, RelayMachine.pieces = signers, pieces
    RelayMachine.relayers = [operator, outsider, suppliers[4]]
    RelayMachine.domain = Domain(chain_id=chain.id, verifying_contract=relay.address)
    RelayMachine.deadline = chain.time() + 30 * DAY
    chain.snapshot()
    run_state_machine_as_test(
        RelayMachine,
        settings=settings(
            max_examples=12, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
