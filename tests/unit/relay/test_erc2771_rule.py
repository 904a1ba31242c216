"""The one ERC-2771 rule, enforced: in every tierchain contract, user actions act for
`_msgSender()` (a relayed signer counts), governance (admin, operator and regulator settings,
pauses, freezes) and agents read `msg.sender`, so no admin function can be exercised through the
RequestRelay, even with a valid signature of the account that may call it directly.

Every state-changing function of the relay's targets is classified below; a function nobody
classified fails `test_every_function_is_classified`, so a new function must pick its side."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import DAY, h
from tierchain.clients.requests import Call

AGENT_DESK, AGENT_SETTLEMENT = 1, 2
ROLE_OPERATOR, ROLE_REGULATOR = 1, 64

# User actions: act for _msgSender(); members may sign them for the relay.
TOKEN_USER = {
    "issue", "accept", "transferFrom", "safeTransferFrom", "approve", "setApprovalForAll", "merge", "payout",
}  # fmt: skip
SETTLEMENT_USER = {
    "open", "pay", "claim", "claimMany", "markOverdue", "registerGuarantee", "guarantorPay", "repayGuarantor",
    "exerciseRecourse", "settleRecourse",
}  # fmt: skip
DESK_USER = {"post", "takePosted", "take", "cancel", "invalidateNonces"}


def _token_governance(token: Any, piece: int, supplier: Any) -> dict[str, tuple[str, bytes, str]]:
    """name -> (who may call it directly, calldata, the error a relayed call gets)."""
    return {
        "setAgent": ("admin", token.setAgent.encode_input(supplier, AGENT_DESK), "PayableNotAdmin: {relay}"),
        "setMinPieceValue": ("operator", token.setMinPieceValue.encode_input(200),
                             f"PayableUnauthorized: {{relay}}, {ROLE_OPERATOR}"),
        "setMaxTenor": ("operator", token.setMaxTenor.encode_input(30 * DAY),
                        f"PayableUnauthorized: {{relay}}, {ROLE_OPERATOR}"),
        "setTradingPaused": ("operator", token.setTradingPaused.encode_input(True),
                             f"PayableUnauthorized: {{relay}}, {ROLE_OPERATOR}"),
        "freezePiece": ("regulator", token.freezePiece.encode_input(piece, h("order")),
                        f"PayableUnauthorized: {{relay}}, {ROLE_REGULATOR}"),
        "unfreezePiece": ("regulator", token.unfreezePiece.encode_input(piece, h("order")),
                          f"PayableUnauthorized: {{relay}}, {ROLE_REGULATOR}"),
        "lockPiece": ("admin", token.lockPiece.encode_input(piece), f"PayableNotAgent: {{relay}}, {AGENT_DESK}"),
        "unlockPiece": ("admin", token.unlockPiece.encode_input(piece), f"PayableNotAgent: {{relay}}, {AGENT_DESK}"),
        "agentTransfer": ("admin", token.agentTransfer.encode_input(piece, supplier, 100),
                          f"PayableNotAgent: {{relay}}, {AGENT_DESK | AGENT_SETTLEMENT}"),
        "burnSettled": ("admin", token.burnSettled.encode_input(piece),
                        f"PayableNotAgent: {{relay}}, {AGENT_SETTLEMENT}"),
        "onMembershipChanged": ("admin", token.onMembershipChanged.encode_input(supplier, True, True),
                                "PayableNotMembership: {relay}"),
    }  # fmt: skip


def _settlement_governance(settlement: Any, admin: Any) -> dict[str, tuple[str, bytes, str]]:
    return {
        "setSettlementPaused": ("operator", settlement.setSettlementPaused.encode_input(True),
                                f"SettlementUnauthorized: {{relay}}, {ROLE_OPERATOR}"),
        "setGracePeriod": ("operator", settlement.setGracePeriod.encode_input(3 * DAY),
                           f"SettlementUnauthorized: {{relay}}, {ROLE_OPERATOR}"),
        "setFinancingRecords": ("admin", settlement.setFinancingRecords.encode_input(admin),
                                "SettlementUnauthorized: {relay}, 0"),
    }  # fmt: skip


@pytest.fixture(scope="module")
def settlement(Settlement: Any, token: Any, relay: Any, admin: Any, members: Any) -> Any:
    """Settlement trusting the relay as its forwarder, allowed as a relay target."""
    s = Settlement.deploy(token, relay, 7 * DAY, {"from": admin})
    token.setAgent(s, AGENT_SETTLEMENT, {"from": admin})
    relay.setTargetAllowed(s, True, {"from": admin})
    return s


def _mutating(contract: Any) -> set[str]:
    return {
        item["name"]
        for item in contract.abi
        if item.get("type") == "function" and item.get("stateMutability") not in ("view", "pure")
    }


def test_every_function_is_classified(token, settlement, FinancingDesk, suppliers, admin):
    token_gov = set(_token_governance(token, 1, suppliers[0]))
    assert _mutating(token) == TOKEN_USER | token_gov, "classify the token's new function as user or governance"
    settlement_gov = set(_settlement_governance(settlement, admin))
    # claimPiece is claimMany's sub-call: callable by the contract itself only (SettlementOnlySelf).
    batch = {"claimMany", "claimPiece"}
    assert _mutating(settlement) - batch == (SETTLEMENT_USER | settlement_gov) - batch
    # The desk has no governance function: every entry point is a member's own action.
    assert {i["name"] for i in FinancingDesk.abi if i.get("type") == "function"
            and i.get("stateMutability") not in ("view", "pure")} == DESK_USER  # fmt: skip


def _relay_as(relay, signer, target, data, sign, deadline, operator):
    request = Call(signer.address, target.address, data, relay.nonces(signer), deadline)
    return relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})


def test_token_governance_refuses_relayed_calls(relay, token, issue, suppliers, admin, operator, regulator, sign,
                                                deadline):  # fmt: skip
    """Signed by the very account that may call it directly, and still refused through the relay."""
    _, piece = issue()
    who = {"admin": admin, "operator": operator, "regulator": regulator}
    for name, (role, data, error) in _token_governance(token, piece, suppliers[1]).items():
        with brownie.reverts(error.format(relay=relay.address.lower())):
            _relay_as(relay, who[role], token, data, sign, deadline, operator)
        assert relay.nonces(who[role]) == 0, name  # nothing ran, no nonce spent
    # ... while the same accounts may call directly.
    token.setTradingPaused(True, {"from": operator})
    assert token.tradingPaused()
    token.freezePiece(piece, h("order"), {"from": regulator})
    assert token.pieceOf(piece)["frozen"]


def test_settlement_governance_refuses_relayed_calls(relay, settlement, admin, operator, sign, deadline, members):
    who = {"admin": admin, "operator": operator}
    for name, (role, data, error) in _settlement_governance(settlement, admin).items():
        with brownie.reverts(error.format(relay=relay.address.lower())):
            _relay_as(relay, who[role], settlement, data, sign, deadline, operator)
        assert relay.nonces(who[role]) == 0, name
    settlement.setSettlementPaused(True, {"from": operator})
    assert settlement.settlementPaused()


def test_governance_contracts_cannot_be_relay_targets(relay, membership, registry, admin):
    """Membership, the registry and the relay itself do not trust the relay: no relayed path."""
    for target in (membership, registry, relay):
        with brownie.reverts(f"RelayNotTrustedForwarder: {target.address.lower()}"):
            relay.setTargetAllowed(target, True, {"from": admin})


def test_user_actions_act_for_the_signer(relay, token, issue, suppliers, operator, sign, deadline):
    """The other half of the rule: a user action through the relay acts for its signer."""
    s1, op = suppliers[0], suppliers[4]
    issue()
    tx = _relay_as(relay, s1, token, token.setApprovalForAll.encode_input(op, True), sign, deadline, operator)
    assert tx.events["ApprovalForAll"]["owner"] == s1
    assert token.isApprovedForAll(s1, op)
