"""Membership: admission and roles, suspension, regulator freezes, the two-step admin hand-over,
listeners and the views. Every rejection leaves the register, the admin and the listeners'
view of the account exactly as they were."""

from contextlib import contextmanager

import brownie
import pytest

from tests.conftest import (
    ROLE_AUDITOR,
    ROLE_CORE,
    ROLE_FINANCIER,
    ROLE_GUARANTOR,
    ROLE_OPERATOR,
    ROLE_REGULATOR,
    ROLE_SUPPLIER,
    err,
    h,
)

NONE, ACTIVE, SUSPENDED = 0, 1, 2
ZERO32 = bytes(32)
ROLE_UNKNOWN = 1 << 7
REASON = h("reason: late filings")
ORDER = h("court order 2026-17")


@pytest.fixture(scope="module")
def newcomer(accounts):
    """Not yet admitted (accounts 15.. are outside the conftest cast)."""
    return accounts[15]


@pytest.fixture(scope="module")
def candidate(accounts):
    """A successor admin."""
    return accounts[16]


def holder(token, account):
    """The token's record of an account as plain Python: (pieces, canReceive, canSend)."""
    pieces, can_receive, can_send = token.holderOf(account)
    return int(pieces), bool(can_receive), bool(can_send)


def _state(membership, token, accounts):
    return (
        membership.admin(),
        membership.pendingAdmin(),
        tuple(membership.listeners()),
        [tuple(membership.memberOf(a)) for a in accounts],
        [token.holderOf(a) for a in accounts],
    )


@contextmanager
def rejected(error, membership, token, *accounts):
    """Expect the exact custom error and no change to the register, admin or listeners."""
    before = _state(membership, token, accounts)
    with brownie.reverts(error):
        yield
    assert _state(membership, token, accounts) == before


# ---------------------------------------------------------------------------- constructor


def test_constants_are_the_documented_role_bits(membership):
    assert membership.ROLE_OPERATOR() == ROLE_OPERATOR
    assert membership.ROLE_CORE_ENTERPRISE() == ROLE_CORE
    assert membership.ROLE_SUPPLIER() == ROLE_SUPPLIER
    assert membership.ROLE_FINANCIER() == ROLE_FINANCIER
    assert membership.ROLE_GUARANTOR() == ROLE_GUARANTOR
    assert membership.ROLE_AUDITOR() == ROLE_AUDITOR
    assert membership.ROLE_REGULATOR() == ROLE_REGULATOR
    assert membership.HOLDER_ROLES() == ROLE_SUPPLIER | ROLE_FINANCIER | ROLE_GUARANTOR
    assert membership.GOVERNANCE_ROLES() == ROLE_OPERATOR | ROLE_REGULATOR
    assert membership.ALL_ROLES() == 0x7F
    assert membership.MAX_LISTENERS() == 4


def test_deploy_sets_admin_and_emits(Membership, admin):
    m = Membership.deploy(admin, {"from": admin})
    assert m.admin() == admin and m.pendingAdmin() == brownie.ZERO_ADDRESS
    assert m.listeners() == ()
    ev = m.tx.events["AdminTransferred"]
    assert (ev["previousAdmin"], ev["newAdmin"]) == (brownie.ZERO_ADDRESS, admin)


def test_deploy_with_zero_admin_reverts(Membership, admin):
    with brownie.reverts(err("MembershipZeroAddress")):
        Membership.deploy(brownie.ZERO_ADDRESS, {"from": admin})


# ---------------------------------------------------------------------------- admit


def test_admin_admits_member(membership, token, admin, newcomer, members, chain):
    tx = membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": admin})
    ev = tx.events["MemberAdmitted"]
    assert (ev["account"], ev["roles"], bytes(ev["identityHash"]), ev["by"]) == (
        newcomer,
        ROLE_SUPPLIER,
        h("id:new"),
        admin,
    )
    assert tuple(membership.memberOf(newcomer)) == (
        ROLE_SUPPLIER,
        ACTIVE,
        False,
        chain[tx.block_number].timestamp,
        "0x" + h("id:new").hex(),
    )
    assert membership.accountOf(h("id:new")) == newcomer
    assert holder(token, newcomer) == (0, True, True)


def test_operator_admits_business_roles(membership, token, operator, newcomer, members):
    roles = ROLE_CORE | ROLE_SUPPLIER | ROLE_FINANCIER | ROLE_GUARANTOR | ROLE_AUDITOR
    tx = membership.admit(newcomer, roles, h("id:new"), {"from": operator})
    assert tx.events["MemberAdmitted"]["by"] == operator
    assert membership.memberOf(newcomer)["roles"] == roles
    assert holder(token, newcomer) == (0, True, True)


def test_admin_admits_governance_roles(membership, admin, newcomer, members):
    membership.admit(newcomer, ROLE_OPERATOR | ROLE_REGULATOR, h("id:new"), {"from": admin})
    assert membership.hasActiveRole(newcomer, ROLE_OPERATOR)
    assert membership.hasActiveRole(newcomer, ROLE_REGULATOR)


@pytest.mark.parametrize("roles", [ROLE_OPERATOR, ROLE_REGULATOR, ROLE_SUPPLIER | ROLE_REGULATOR, 0x7F])
def test_operator_may_not_grant_governance_roles(membership, token, operator, newcomer, members, roles):
    with rejected(err("MembershipRoleNotGrantable", operator, roles), membership, token, newcomer):
        membership.admit(newcomer, roles, h("id:new"), {"from": operator})
    assert membership.accountOf(h("id:new")) == brownie.ZERO_ADDRESS


def test_admit_by_non_operator_reverts(membership, token, suppliers, newcomer, members):
    with rejected(err("MembershipUnauthorized", suppliers[0], ROLE_OPERATOR), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": suppliers[0]})


def test_admit_by_outsider_reverts(membership, token, outsider, newcomer, members):
    with rejected(err("MembershipUnauthorized", outsider, ROLE_OPERATOR), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": outsider})


def test_admit_by_suspended_operator_reverts(membership, token, admin, operator, newcomer, members):
    membership.suspend(operator, REASON, {"from": admin})
    with rejected(err("MembershipUnauthorized", operator, ROLE_OPERATOR), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": operator})


def test_admit_by_frozen_operator_reverts(membership, token, regulator, operator, newcomer, members):
    membership.freeze(operator, ORDER, {"from": regulator})
    with rejected(err("MembershipUnauthorized", operator, ROLE_OPERATOR), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": operator})


@pytest.mark.parametrize("roles", [0, ROLE_UNKNOWN, 0xFF, ROLE_SUPPLIER | ROLE_UNKNOWN])
def test_admit_with_invalid_roles_reverts(membership, token, admin, newcomer, members, roles):
    with rejected(err("MembershipInvalidRoles", roles), membership, token, newcomer):
        membership.admit(newcomer, roles, h("id:new"), {"from": admin})


def test_admit_zero_address_reverts(membership, token, admin, members):
    with rejected(err("MembershipZeroAddress"), membership, token, brownie.ZERO_ADDRESS):
        membership.admit(brownie.ZERO_ADDRESS, ROLE_SUPPLIER, h("id:new"), {"from": admin})


def test_admit_existing_member_reverts(membership, token, admin, suppliers, members):
    with rejected(err("MembershipAlreadyMember", suppliers[0]), membership, token, suppliers[0]):
        membership.admit(suppliers[0], ROLE_FINANCIER, h("id:other"), {"from": admin})


def test_admit_with_zero_identity_reverts(membership, token, admin, newcomer, members):
    with rejected(err("MembershipInvalidIdentity", ZERO32), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, ZERO32, {"from": admin})


def test_admit_with_taken_identity_reverts(membership, token, admin, newcomer, suppliers, members):
    taken = h("id:supplier0")
    with rejected(
        err("MembershipIdentityTaken", taken, suppliers[0]),
        membership,
        token,
        newcomer,
        suppliers[0],
    ):
        membership.admit(newcomer, ROLE_SUPPLIER, taken, {"from": admin})
    assert membership.accountOf(taken) == suppliers[0]


# ---------------------------------------------------------------------------- setRoles


def test_admin_sets_roles(membership, token, admin, suppliers, members):
    tx = membership.setRoles(suppliers[0], ROLE_AUDITOR, {"from": admin})
    ev = tx.events["MemberRolesChanged"]
    assert (ev["account"], ev["previousRoles"], ev["roles"], ev["by"]) == (
        suppliers[0],
        ROLE_SUPPLIER,
        ROLE_AUDITOR,
        admin,
    )
    assert membership.memberOf(suppliers[0])["roles"] == ROLE_AUDITOR
    assert holder(token, suppliers[0]) == (0, False, True)  # no holder role any more


def test_operator_sets_business_roles(membership, token, operator, auditor, members):
    tx = membership.setRoles(auditor, ROLE_AUDITOR | ROLE_FINANCIER, {"from": operator})
    assert tx.events["MemberRolesChanged"]["by"] == operator
    assert holder(token, auditor) == (0, True, True)  # gained a holder role


def test_admin_grants_governance_role_to_member(membership, admin, suppliers, members):
    membership.setRoles(suppliers[0], ROLE_SUPPLIER | ROLE_REGULATOR, {"from": admin})
    assert membership.hasActiveRole(suppliers[0], ROLE_REGULATOR)


def test_operator_may_not_grant_governance_role_via_set_roles(membership, token, operator, suppliers, members):
    roles = ROLE_SUPPLIER | ROLE_REGULATOR
    with rejected(err("MembershipRoleNotGrantable", operator, roles), membership, token, suppliers[0]):
        membership.setRoles(suppliers[0], roles, {"from": operator})


def test_operator_may_not_remove_governance_role(membership, token, operator, regulator, members):
    # Taking a governance role away is the admin's alone: the error names old | new roles.
    with rejected(
        err("MembershipRoleNotGrantable", operator, ROLE_AUDITOR | ROLE_REGULATOR),
        membership,
        token,
        regulator,
    ):
        membership.setRoles(regulator, ROLE_AUDITOR, {"from": operator})


def test_operator_may_not_change_another_operators_roles(membership, token, admin, operator, newcomer, members):
    membership.admit(newcomer, ROLE_OPERATOR, h("id:op2"), {"from": admin})
    with rejected(
        err("MembershipRoleNotGrantable", operator, ROLE_OPERATOR | ROLE_SUPPLIER),
        membership,
        token,
        newcomer,
    ):
        membership.setRoles(newcomer, ROLE_SUPPLIER, {"from": operator})


def test_set_roles_to_zero_reverts(membership, token, admin, suppliers, members):
    with rejected(err("MembershipInvalidRoles", 0), membership, token, suppliers[0]):
        membership.setRoles(suppliers[0], 0, {"from": admin})


def test_set_roles_with_unknown_bit_reverts(membership, token, admin, suppliers, members):
    # The error carries the union of old and new roles, which is what the grant check sees.
    with rejected(err("MembershipInvalidRoles", ROLE_UNKNOWN | ROLE_SUPPLIER), membership, token, suppliers[0]):
        membership.setRoles(suppliers[0], ROLE_UNKNOWN, {"from": admin})


def test_set_roles_of_non_member_reverts(membership, token, admin, newcomer, members):
    with rejected(err("MembershipNotMember", newcomer), membership, token, newcomer):
        membership.setRoles(newcomer, ROLE_SUPPLIER, {"from": admin})


def test_set_roles_by_outsider_reverts(membership, token, outsider, suppliers, members):
    with rejected(err("MembershipUnauthorized", outsider, ROLE_OPERATOR), membership, token, suppliers[0]):
        membership.setRoles(suppliers[0], ROLE_FINANCIER, {"from": outsider})


# ---------------------------------------------------------------------------- suspend / reinstate


def test_operator_suspends_member(membership, token, operator, suppliers, members):
    tx = membership.suspend(suppliers[0], REASON, {"from": operator})
    ev = tx.events["MemberSuspended"]
    assert (ev["account"], bytes(ev["reasonHash"]), ev["by"]) == (suppliers[0], REASON, operator)
    assert membership.memberOf(suppliers[0])["status"] == SUSPENDED
    assert not membership.canReceive(suppliers[0]) and membership.canSend(suppliers[0])
    assert not membership.hasActiveRole(suppliers[0], ROLE_SUPPLIER)
    assert holder(token, suppliers[0]) == (0, False, True)  # may still send and be paid


def test_admin_suspends_member(membership, admin, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": admin})
    assert membership.memberOf(suppliers[0])["status"] == SUSPENDED


def test_suspend_without_reason_reverts(membership, token, operator, suppliers, members):
    with rejected(err("MembershipReasonRequired"), membership, token, suppliers[0]):
        membership.suspend(suppliers[0], ZERO32, {"from": operator})


def test_suspend_suspended_member_reverts(membership, token, operator, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": operator})
    with rejected(err("MembershipWrongStatus", suppliers[0], SUSPENDED), membership, token, suppliers[0]):
        membership.suspend(suppliers[0], REASON, {"from": operator})


def test_suspend_non_member_reverts(membership, token, operator, newcomer, members):
    with rejected(err("MembershipNotMember", newcomer), membership, token, newcomer):
        membership.suspend(newcomer, REASON, {"from": operator})


@pytest.mark.parametrize("caller_name", ["regulator", "outsider", "core"])
def test_suspend_by_non_operator_reverts(membership, token, suppliers, members, caller_name, request):
    caller = request.getfixturevalue(caller_name)
    with rejected(err("MembershipUnauthorized", caller, ROLE_OPERATOR), membership, token, suppliers[0]):
        membership.suspend(suppliers[0], REASON, {"from": caller})


def test_operator_reinstates_member(membership, token, operator, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": operator})
    tx = membership.reinstate(suppliers[0], {"from": operator})
    ev = tx.events["MemberReinstated"]
    assert (ev["account"], ev["by"]) == (suppliers[0], operator)
    assert membership.memberOf(suppliers[0])["status"] == ACTIVE
    assert holder(token, suppliers[0]) == (0, True, True)


def test_reinstate_active_member_reverts(membership, token, operator, suppliers, members):
    with rejected(err("MembershipWrongStatus", suppliers[0], ACTIVE), membership, token, suppliers[0]):
        membership.reinstate(suppliers[0], {"from": operator})


def test_reinstate_non_member_reverts(membership, token, operator, newcomer, members):
    with rejected(err("MembershipNotMember", newcomer), membership, token, newcomer):
        membership.reinstate(newcomer, {"from": operator})


def test_reinstate_by_non_operator_reverts(membership, token, operator, regulator, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": operator})
    with rejected(err("MembershipUnauthorized", regulator, ROLE_OPERATOR), membership, token, suppliers[0]):
        membership.reinstate(suppliers[0], {"from": regulator})


# ---------------------------------------------------------------------------- freeze / unfreeze


def test_regulator_freezes_member(membership, token, regulator, suppliers, members):
    tx = membership.freeze(suppliers[0], ORDER, {"from": regulator})
    ev = tx.events["MemberFrozen"]
    assert (ev["account"], bytes(ev["reasonHash"]), ev["by"]) == (suppliers[0], ORDER, regulator)
    assert membership.memberOf(suppliers[0])["frozen"]
    assert not membership.canSend(suppliers[0]) and not membership.canReceive(suppliers[0])
    assert not membership.hasActiveRole(suppliers[0], ROLE_SUPPLIER)
    assert holder(token, suppliers[0]) == (0, False, False)


def test_admin_freezes_member(membership, admin, suppliers, members):
    membership.freeze(suppliers[0], ORDER, {"from": admin})
    assert membership.memberOf(suppliers[0])["frozen"]


def test_operator_may_not_freeze(membership, token, operator, suppliers, members):
    with rejected(err("MembershipUnauthorized", operator, ROLE_REGULATOR), membership, token, suppliers[0]):
        membership.freeze(suppliers[0], ORDER, {"from": operator})


def test_frozen_regulator_may_not_freeze(membership, token, admin, regulator, suppliers, members):
    membership.freeze(regulator, ORDER, {"from": admin})
    with rejected(err("MembershipUnauthorized", regulator, ROLE_REGULATOR), membership, token, suppliers[0]):
        membership.freeze(suppliers[0], ORDER, {"from": regulator})


def test_freeze_without_reason_reverts(membership, token, regulator, suppliers, members):
    with rejected(err("MembershipReasonRequired"), membership, token, suppliers[0]):
        membership.freeze(suppliers[0], ZERO32, {"from": regulator})


def test_freeze_frozen_member_reverts(membership, token, regulator, suppliers, members):
    membership.freeze(suppliers[0], ORDER, {"from": regulator})
    with rejected(err("MembershipFreezeUnchanged", suppliers[0], True), membership, token, suppliers[0]):
        membership.freeze(suppliers[0], ORDER, {"from": regulator})


def test_freeze_non_member_reverts(membership, token, regulator, newcomer, members):
    with rejected(err("MembershipNotMember", newcomer), membership, token, newcomer):
        membership.freeze(newcomer, ORDER, {"from": regulator})


def test_regulator_unfreezes_member(membership, token, regulator, suppliers, members):
    membership.freeze(suppliers[0], ORDER, {"from": regulator})
    lifted = h("order lifted")
    tx = membership.unfreeze(suppliers[0], lifted, {"from": regulator})
    ev = tx.events["MemberUnfrozen"]
    assert (ev["account"], bytes(ev["reasonHash"]), ev["by"]) == (suppliers[0], lifted, regulator)
    assert not membership.memberOf(suppliers[0])["frozen"]
    assert holder(token, suppliers[0]) == (0, True, True)


def test_unfreeze_of_suspended_member_keeps_receipts_closed(membership, token, admin, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": admin})
    membership.freeze(suppliers[0], ORDER, {"from": admin})
    membership.unfreeze(suppliers[0], ORDER, {"from": admin})
    assert holder(token, suppliers[0]) == (0, False, True)


def test_unfreeze_of_unfrozen_member_reverts(membership, token, regulator, suppliers, members):
    with rejected(err("MembershipFreezeUnchanged", suppliers[0], False), membership, token, suppliers[0]):
        membership.unfreeze(suppliers[0], ORDER, {"from": regulator})


def test_unfreeze_without_reason_reverts(membership, token, regulator, suppliers, members):
    membership.freeze(suppliers[0], ORDER, {"from": regulator})
    with rejected(err("MembershipReasonRequired"), membership, token, suppliers[0]):
        membership.unfreeze(suppliers[0], ZERO32, {"from": regulator})


def test_operator_may_not_unfreeze(membership, token, regulator, operator, suppliers, members):
    membership.freeze(suppliers[0], ORDER, {"from": regulator})
    with rejected(err("MembershipUnauthorized", operator, ROLE_REGULATOR), membership, token, suppliers[0]):
        membership.unfreeze(suppliers[0], ORDER, {"from": operator})


# ---------------------------------------------------------------------------- admin hand-over


def test_transfer_admin_proposes_successor(membership, admin, candidate, members):
    tx = membership.transferAdmin(candidate, {"from": admin})
    ev = tx.events["AdminTransferStarted"]
    assert (ev["currentAdmin"], ev["pendingAdmin"]) == (admin, candidate)
    assert membership.pendingAdmin() == candidate
    assert membership.admin() == admin  # nothing changes until the successor accepts


def test_pending_admin_accepts(membership, admin, candidate, members):
    membership.transferAdmin(candidate, {"from": admin})
    tx = membership.acceptAdmin({"from": candidate})
    ev = tx.events["AdminTransferred"]
    assert (ev["previousAdmin"], ev["newAdmin"]) == (admin, candidate)
    assert membership.admin() == candidate
    assert membership.pendingAdmin() == brownie.ZERO_ADDRESS


def test_former_admin_loses_authority(membership, token, admin, candidate, newcomer, members):
    membership.transferAdmin(candidate, {"from": admin})
    membership.acceptAdmin({"from": candidate})
    with rejected(err("MembershipUnauthorized", admin, 0), membership, token, newcomer):
        membership.transferAdmin(newcomer, {"from": admin})
    with rejected(err("MembershipUnauthorized", admin, ROLE_OPERATOR), membership, token, newcomer):
        membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": admin})
    membership.admit(newcomer, ROLE_REGULATOR, h("id:new"), {"from": candidate})


def test_transfer_admin_by_non_admin_reverts(membership, token, operator, candidate, members):
    with rejected(err("MembershipUnauthorized", operator, 0), membership, token, candidate):
        membership.transferAdmin(candidate, {"from": operator})


def test_accept_admin_by_non_pending_account_reverts(membership, token, admin, candidate, outsider, members):
    membership.transferAdmin(candidate, {"from": admin})
    with rejected(err("MembershipNotPendingAdmin", outsider, candidate), membership, token, outsider):
        membership.acceptAdmin({"from": outsider})


def test_accept_admin_with_none_pending_reverts(membership, token, outsider, members):
    with rejected(
        err("MembershipNotPendingAdmin", outsider, brownie.ZERO_ADDRESS),
        membership,
        token,
        outsider,
    ):
        membership.acceptAdmin({"from": outsider})


def test_proposing_zero_cancels_hand_over(membership, token, admin, candidate, members):
    membership.transferAdmin(candidate, {"from": admin})
    tx = membership.transferAdmin(brownie.ZERO_ADDRESS, {"from": admin})
    ev = tx.events["AdminTransferStarted"]
    assert (ev["currentAdmin"], ev["pendingAdmin"]) == (admin, brownie.ZERO_ADDRESS)
    assert membership.pendingAdmin() == brownie.ZERO_ADDRESS
    with rejected(
        err("MembershipNotPendingAdmin", candidate, brownie.ZERO_ADDRESS),
        membership,
        token,
        candidate,
    ):
        membership.acceptAdmin({"from": candidate})


def test_second_proposal_replaces_the_first(membership, token, admin, candidate, newcomer, members):
    membership.transferAdmin(candidate, {"from": admin})
    membership.transferAdmin(newcomer, {"from": admin})
    with rejected(err("MembershipNotPendingAdmin", candidate, newcomer), membership, token, candidate):
        membership.acceptAdmin({"from": candidate})
    membership.acceptAdmin({"from": newcomer})
    assert membership.admin() == newcomer


# ---------------------------------------------------------------------------- listeners


@pytest.fixture
def probe(ListenerProbe, admin):
    return ListenerProbe.deploy({"from": admin})


def test_add_listener(membership, admin, token, probe, members):
    tx = membership.addListener(probe, {"from": admin})
    assert tx.events["ListenerAdded"]["listener"] == probe
    assert membership.listeners() == (token, probe)


def test_add_listener_by_non_admin_reverts(membership, token, operator, probe, members):
    with rejected(err("MembershipUnauthorized", operator, 0), membership, token):
        membership.addListener(probe, {"from": operator})


def test_add_non_contract_listener_reverts(membership, token, admin, outsider, members):
    with rejected(err("MembershipInvalidListener", outsider), membership, token):
        membership.addListener(outsider, {"from": admin})


def test_add_duplicate_listener_reverts(membership, token, admin, members):
    with rejected(err("MembershipInvalidListener", token), membership, token):
        membership.addListener(token, {"from": admin})


def test_add_listener_beyond_maximum_reverts(ListenerProbe, membership, token, admin, members):
    probes = [ListenerProbe.deploy({"from": admin}) for _ in range(4)]
    for p in probes[:3]:  # the token is the first listener
        membership.addListener(p, {"from": admin})
    assert len(membership.listeners()) == 4
    with rejected(err("MembershipInvalidListener", probes[3]), membership, token):
        membership.addListener(probes[3], {"from": admin})


def test_extra_payable_tokens_can_listen(PayableToken, membership, registry, relay, admin, newcomer, members):
    extra = [PayableToken.deploy(membership, registry, 100, 86_400, relay, {"from": admin}) for _ in range(3)]
    for t in extra:
        membership.addListener(t, {"from": admin})
    membership.admit(newcomer, ROLE_FINANCIER, h("id:new"), {"from": admin})
    assert all(holder(t, newcomer) == (0, True, True) for t in extra)


def test_listener_is_told_of_each_change(membership, admin, regulator, newcomer, probe, members):
    membership.addListener(probe, {"from": admin})
    steps = [
        (
            lambda: membership.admit(newcomer, ROLE_SUPPLIER, h("id:new"), {"from": admin}),
            True,
            True,
        ),
        (lambda: membership.suspend(newcomer, REASON, {"from": admin}), False, True),
        (lambda: membership.freeze(newcomer, ORDER, {"from": regulator}), False, False),
        (lambda: membership.reinstate(newcomer, {"from": admin}), False, False),
        (lambda: membership.unfreeze(newcomer, ORDER, {"from": regulator}), True, True),
        (lambda: membership.setRoles(newcomer, ROLE_AUDITOR, {"from": admin}), False, True),
    ]
    for calls, (action, can_receive, can_send) in enumerate(steps, start=1):
        action()
        assert probe.calls() == calls
        assert (probe.lastAccount(), probe.lastCanReceive(), probe.lastCanSend()) == (
            newcomer,
            can_receive,
            can_send,
        )


def test_listener_added_late_learns_nothing_until_refresh(membership, admin, suppliers, probe, outsider, members):
    membership.addListener(probe, {"from": admin})
    assert probe.calls() == 0  # existing members are not replayed
    membership.refresh(suppliers[0], {"from": outsider})  # anyone may refresh
    assert probe.calls() == 1
    assert (probe.lastAccount(), probe.lastCanReceive(), probe.lastCanSend()) == (
        suppliers[0],
        True,
        True,
    )


def test_refresh_pushes_current_state_to_token(membership, token, suppliers, outsider, members):
    tx = membership.refresh(suppliers[0], {"from": outsider})
    assert holder(token, suppliers[0]) == (0, True, True)
    assert len(tx.events) == 0  # a refresh changes no record, so Membership emits nothing


def test_refresh_of_non_member_reverts(membership, token, outsider, newcomer, members):
    with rejected(err("MembershipNotMember", newcomer), membership, token, newcomer):
        membership.refresh(newcomer, {"from": outsider})


def test_only_membership_may_push_to_token(token, outsider, suppliers, members):
    with brownie.reverts(err("PayableNotMembership", outsider)):
        token.onMembershipChanged(suppliers[0], False, False, {"from": outsider})


# ---------------------------------------------------------------------------- views


def test_views_of_non_member(membership, newcomer, members):
    assert tuple(membership.memberOf(newcomer)) == (0, NONE, False, 0, "0x" + ZERO32.hex())
    assert membership.accountOf(h("id:nobody")) == brownie.ZERO_ADDRESS
    assert not membership.hasActiveRole(newcomer, 0x7F)
    assert not membership.canReceive(newcomer)
    assert membership.canSend(newcomer)  # only a freeze stops sending


def test_admin_is_not_a_member_by_office(membership, admin, members):
    assert not membership.hasActiveRole(admin, 0x7F)
    assert not membership.canReceive(admin)


def test_has_active_role_needs_any_one_of_the_roles(membership, core, members):
    assert membership.hasActiveRole(core, ROLE_CORE)
    assert membership.hasActiveRole(core, ROLE_CORE | ROLE_AUDITOR)
    assert not membership.hasActiveRole(core, ROLE_SUPPLIER | ROLE_AUDITOR)
    assert not membership.hasActiveRole(core, 0)


@pytest.mark.parametrize(
    "name, can_receive",
    [
        ("operator", False),
        ("core", False),
        ("guarantor", True),
        ("auditor", False),
        ("regulator", False),
    ],
)
def test_only_holder_roles_can_receive(membership, members, name, can_receive, request):
    assert membership.canReceive(request.getfixturevalue(name)) is can_receive


def test_suppliers_and_financiers_can_receive(membership, suppliers, financiers, members):
    assert all(membership.canReceive(a) for a in [*suppliers, *financiers])
