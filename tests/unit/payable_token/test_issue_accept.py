"""Issuing a payable against a registered package, and the supplier's acceptance."""

import brownie
import pytest

from tests.conftest import CENTS, DAY, MAX_TENOR, MIN_PIECE, err, h, reverts_named

FACE = 10_000_000 * CENTS


def test_issue_records_payable_and_mints_pending_piece(token, currency, core, suppliers, register_package, chain):
    root = register_package(total=FACE, seller=suppliers[0])
    maturity = chain.time() + 90 * DAY
    tx = token.issue(suppliers[0], FACE, currency, maturity, root, h("doc"), {"from": core})
    payable_id, token_id = tx.return_value
    assert payable_id == 1
    assert token_id == (maturity << 96) | (1 << 32) | 1
    p = token.payableOf(payable_id)
    assert p["debtor"] == core and p["firstCreditor"] == suppliers[0]
    assert p["faceValue"] == FACE and p["currency"] == currency and p["currencyDecimals"] == 2
    assert p["maturityAt"] == maturity and p["status"] == 1 and p["pieceCount"] == 1
    assert bytes(p["invoiceRoot"]) == root and bytes(p["documentHash"]) == h("doc")
    assert token.ownerOf(token_id) == suppliers[0]
    assert token.balanceOf["uint256"](token_id) == FACE
    assert token.slotOf(token_id) == payable_id
    assert token.balanceOf["address"](suppliers[0]) == 1
    assert token.parentOf(token_id) == 0
    assert token.tokenIdOf(payable_id, 1) == token_id
    assert token.payableCount() == 1
    ev = tx.events["PayableIssued"]
    assert ev["payableId"] == payable_id and ev["debtor"] == core and ev["creditor"] == suppliers[0]
    assert ev["tokenId"] == token_id and ev["faceValue"] == FACE and ev["maturityAt"] == maturity
    assert tx.events["Transfer"]["to"] == suppliers[0] and tx.events["Transfer"]["tokenId"] == token_id
    assert tx.events["SlotChanged"]["_newSlot"] == payable_id
    assert tx.events["TransferValue"]["_fromTokenId"] == 0 and tx.events["TransferValue"]["_value"] == FACE


def test_nothing_moves_before_acceptance(token, issue, suppliers):
    _, token_id = issue(accept=False)
    with brownie.reverts("PayableWrongStatus: 1, 1"):
        token.transferFrom["uint256,address,uint256"](token_id, suppliers[1], 1000, {"from": suppliers[0]})
    with brownie.reverts("PayableWrongStatus: 1, 1"):
        token.transferFrom["address,address,uint256"](suppliers[0], suppliers[1], token_id, {"from": suppliers[0]})
    with brownie.reverts("PayableWrongStatus: 1, 1"):
        token.approve["uint256,address,uint256"](token_id, suppliers[1], 5, {"from": suppliers[0]})


def test_accept_by_creditor_unlocks_moves(token, issue, suppliers):
    payable_id, token_id = issue(accept=False)
    tx = token.accept(payable_id, {"from": suppliers[0]})
    assert tx.events["PayableAccepted"]["payableId"] == payable_id
    assert tx.events["PayableAccepted"]["creditor"] == suppliers[0]
    assert token.payableOf(payable_id)["status"] == 2
    token.transferFrom["uint256,address,uint256"](token_id, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})


def test_accept_by_someone_else_reverts(token, issue, suppliers):
    payable_id, _ = issue(accept=False)
    with brownie.reverts(err("PayableNotCreditor", payable_id, suppliers[1])):
        token.accept(payable_id, {"from": suppliers[1]})


def test_accept_twice_reverts(token, issue, suppliers):
    payable_id, _ = issue()
    with brownie.reverts(f"PayableWrongStatus: {payable_id}, 2"):
        token.accept(payable_id, {"from": suppliers[0]})


def test_accept_unknown_payable_reverts(token, suppliers, members):
    with brownie.reverts("PayableUnknown: 77"):
        token.accept(77, {"from": suppliers[0]})


def test_accept_at_maturity_reverts(token, issue, suppliers, chain):
    payable_id, token_id = issue(accept=False, tenor=10 * DAY)
    # Sleep by the chain's own clock: under load Anvil's block time can lag brownie's
    # chain.time() (used for the maturity) by more than a few seconds.
    chain.sleep((token_id >> 96) - chain[-1].timestamp)
    chain.mine()
    assert chain[-1].timestamp >= token_id >> 96
    with brownie.reverts(f"PayableMatured: {payable_id}, {token_id >> 96}"):
        token.accept(payable_id, {"from": suppliers[0]})


def test_issue_by_non_core_reverts(token, currency, suppliers, register_package, chain):
    root = register_package()
    with brownie.reverts(err("PayableUnauthorized", suppliers[0], 2)):
        token.issue(suppliers[0], FACE, currency, chain.time() + DAY, root, h("d"), {"from": suppliers[0]})


def test_issue_to_non_member_reverts(token, currency, core, outsider, register_package, chain):
    root = register_package()
    with brownie.reverts(err("PayableReceiverNotAllowed", outsider)):
        token.issue(outsider, FACE, currency, chain.time() + DAY, root, h("d"), {"from": core})


def test_issue_below_minimum_reverts(token, currency, core, suppliers, register_package, chain):
    root = register_package()
    with brownie.reverts(f"PayableInvalidFaceValue: {MIN_PIECE - 1}, {MIN_PIECE}"):
        token.issue(suppliers[0], MIN_PIECE - 1, currency, chain.time() + DAY, root, h("d"), {"from": core})


@pytest.mark.parametrize("which", ["root", "doc"])
def test_issue_with_zero_commitment_reverts(token, currency, core, suppliers, register_package, chain, which):
    root = register_package()
    zero = b"\x00" * 32
    args = (zero, h("d")) if which == "root" else (root, zero)
    with brownie.reverts(err("PayableInvalidCommitment", *args)):
        token.issue(suppliers[0], FACE, currency, chain.time() + DAY, *args, {"from": core})


def test_issue_with_past_maturity_reverts(token, currency, core, suppliers, register_package, chain):
    root = register_package()
    with reverts_named("PayableMaturityInPast"):
        # The last block's time: the next block is never earlier (chain.time() can run ahead of Anvil).
        token.issue(suppliers[0], FACE, currency, chain[-1].timestamp, root, h("d"), {"from": core})


def test_issue_beyond_max_tenor_reverts(token, currency, core, suppliers, register_package, chain):
    root = register_package()
    with reverts_named("PayableTenorTooLong"):
        token.issue(suppliers[0], FACE, currency, chain.time() + MAX_TENOR + 3600, root, h("d"), {"from": core})


def test_issue_with_non_token_currency_reverts(token, core, suppliers, register_package, chain, membership):
    root = register_package()
    for bad in (suppliers[5].address, membership.address):  # an EOA; a contract without decimals()
        with brownie.reverts(err("PayableInvalidCurrency", bad)):
            token.issue(suppliers[0], FACE, bad, chain.time() + DAY, root, h("d"), {"from": core})


def test_issue_above_package_total_reverts(token, currency, core, suppliers, register_package, chain):
    root = register_package(total=FACE)
    with reverts_named("RegistryExceedsTotal"):
        token.issue(suppliers[0], FACE + 1, currency, chain.time() + DAY, root, h("d"), {"from": core})


def test_issue_while_paused_reverts(token, currency, core, suppliers, register_package, chain, operator):
    root = register_package()
    token.setTradingPaused(True, {"from": operator})
    with brownie.reverts(err("PayableTradingPaused")):
        token.issue(suppliers[0], FACE, currency, chain.time() + DAY, root, h("d"), {"from": core})


def test_accept_while_paused_reverts(token, issue, suppliers, operator):
    payable_id, _ = issue(accept=False)
    token.setTradingPaused(True, {"from": operator})
    with brownie.reverts(err("PayableTradingPaused")):
        token.accept(payable_id, {"from": suppliers[0]})


def test_token_rejects_ether(token, suppliers, members):
    with brownie.reverts():
        suppliers[0].transfer(token, 1)
    assert token.balance() == 0
