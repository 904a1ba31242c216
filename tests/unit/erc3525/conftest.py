"""Implementations under the shared "behaves like ERC-3525" tests, each behind one adapter:
a mint factory (a new token in a new slot), a way to let a contract hold tokens, and the exact
revert each implementation gives for each shared failure."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from brownie import history

from tests.conftest import ROLE_SUPPLIER, err, h


@dataclass
class Impl:
    """One ERC-3525 implementation as the shared tests see it."""

    name: str
    token: Any
    mint: Callable[[Any, int], tuple[int, int, Any]]  # (owner, value) -> (tokenId, slot, tx)
    allow_holder: Callable[[Any], None]  # let an account (a contract) hold tokens
    error: Callable[..., str]  # error(kind, *args) -> the expected revert message


_PAYABLE_ERRORS = {
    "insufficient_value": "PayableInsufficientValue",  # tokenId, balance, needed
    "slot_mismatch": "PayableSlotMismatch",  # from, to
    "stranger_split": "PayableNotOwnerNorApproved",  # tokenId, caller
    "insufficient_allowance": "PayableInsufficientAllowance",  # tokenId, op, allowed, needed
    "nonexistent": "PayableNonexistentToken",  # tokenId
    "wrong_owner": "PayableInvalidOwner",  # tokenId, from, owner
    "stranger_transfer": "PayableNotOwnerNorApproved",  # tokenId, caller
    "stranger_approve": "PayableNotOwnerNorApproved",  # tokenId, caller
    "approve_zero": "PayableZeroAddress",  # (no args)
    "rejected_3525": "PayableReceiverRejected",  # receiver
    "rejected_721": "PayableReceiverRejected",  # receiver
}

_REFERENCE_ERRORS = {
    "insufficient_value": "ERC3525: insufficient balance for transfer",
    "slot_mismatch": "ERC3525: transfer to token with different slot",
    "stranger_split": "ERC3525: insufficient allowance",
    "insufficient_allowance": "ERC3525: insufficient allowance",
    "nonexistent": "ERC3525: invalid token ID",
    "wrong_owner": "ERC3525: transfer from invalid owner",
    "stranger_transfer": "ERC3525: transfer caller is not owner nor approved",
    "stranger_approve": "ERC3525: approve caller is not owner nor approved",
    "approve_zero": "ERC3525: approve value to the zero address",
    "rejected_3525": "ERC3525: transfer rejected by ERC3525Receiver",
    "rejected_721": "ERC721: transfer to non ERC721Receiver implementer",
}


@pytest.fixture(scope="module")
def reference(ReferenceERC3525: Any, admin: Any) -> Any:
    return ReferenceERC3525.deploy({"from": admin})


def _payable_impl(token: Any, issue: Any, membership: Any, admin: Any) -> Impl:
    holders = itertools.count()

    def mint(owner: Any, value: int) -> tuple[int, int, Any]:
        payable_id, token_id = issue(face=value, creditor=owner, accept=False)
        tx = history[-1]  # the factory returns ids; its last transaction is the issue
        assert tx.fn_name == "issue"
        token.accept(payable_id, {"from": owner})
        return token_id, payable_id, tx

    def allow_holder(account: Any) -> None:
        membership.admit(account, ROLE_SUPPLIER, h(f"id:erc3525-holder-{next(holders)}"), {"from": admin})

    def error(kind: str, *args: Any) -> str:
        return err(_PAYABLE_ERRORS[kind], *args)

    return Impl("PayableToken", token, mint, allow_holder, error)


def _reference_impl(reference: Any, admin: Any) -> Impl:
    slots = itertools.count(1)

    def mint(owner: Any, value: int) -> tuple[int, int, Any]:
        slot = next(slots)
        tx = reference.mint(owner, slot, value, {"from": admin})
        return tx.return_value, slot, tx

    def error(kind: str, *args: Any) -> str:
        return _REFERENCE_ERRORS[kind]

    return Impl("ReferenceERC3525", reference, mint, lambda account: None, error)


@pytest.fixture(params=["PayableToken", "ReferenceERC3525"])
def sft(request: Any, token: Any, issue: Any, reference: Any, members: Any, membership: Any, admin: Any) -> Impl:
    """The implementation under test (both are deployed before the test's snapshot is taken)."""
    if request.param == "PayableToken":
        return _payable_impl(token, issue, membership, admin)
    return _reference_impl(reference, admin)
