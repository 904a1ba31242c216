"""Issue 14 item 9: suspending or reinstating a member that holds a governance role (operator,
regulator) is the admin's alone, as granting one is. Before the fix an operator could suspend
the regulator (switching off regulatory freezes) or another operator."""

from __future__ import annotations

import brownie
import pytest

from tests.conftest import ROLE_OPERATOR, ROLE_REGULATOR, ROLE_SUPPLIER, err, h

REASON = h("reason")
SUSPENDED, ACTIVE = 2, 1


@pytest.fixture
def second_operator(accounts, membership, admin, members):
    membership.admit(accounts[15], ROLE_OPERATOR, h("id:operator-2"), {"from": admin})
    return accounts[15]


def test_operator_may_not_suspend_the_regulator(membership, token, operator, regulator, members):
    with brownie.reverts(err("MembershipGovernanceMember", operator, regulator, ROLE_REGULATOR)):
        membership.suspend(regulator, REASON, {"from": operator})
    assert membership.memberOf(regulator)["status"] == ACTIVE
    assert membership.hasActiveRole(regulator, ROLE_REGULATOR)


def test_operator_may_not_suspend_another_operator(membership, operator, second_operator):
    with brownie.reverts(err("MembershipGovernanceMember", operator, second_operator, ROLE_OPERATOR)):
        membership.suspend(second_operator, REASON, {"from": operator})


def test_operator_may_not_suspend_itself_either(membership, operator, members):
    with brownie.reverts(err("MembershipGovernanceMember", operator, operator, ROLE_OPERATOR)):
        membership.suspend(operator, REASON, {"from": operator})


def test_operator_may_not_reinstate_a_governance_member(membership, admin, operator, regulator, members):
    membership.suspend(regulator, REASON, {"from": admin})
    with brownie.reverts(err("MembershipGovernanceMember", operator, regulator, ROLE_REGULATOR)):
        membership.reinstate(regulator, {"from": operator})
    assert membership.memberOf(regulator)["status"] == SUSPENDED


def test_admin_suspends_and_reinstates_governance_members(membership, token, admin, regulator, second_operator):
    membership.suspend(regulator, REASON, {"from": admin})
    membership.suspend(second_operator, REASON, {"from": admin})
    assert membership.memberOf(regulator)["status"] == SUSPENDED
    assert membership.memberOf(second_operator)["status"] == SUSPENDED
    membership.reinstate(regulator, {"from": admin})
    assert membership.hasActiveRole(regulator, ROLE_REGULATOR)


def test_a_member_with_business_and_governance_roles_is_the_admins(membership, admin, operator, accounts, members):
    membership.admit(accounts[16], ROLE_SUPPLIER | ROLE_REGULATOR, h("id:mixed"), {"from": admin})
    with brownie.reverts(err("MembershipGovernanceMember", operator, accounts[16], ROLE_SUPPLIER | ROLE_REGULATOR)):
        membership.suspend(accounts[16], REASON, {"from": operator})


def test_operator_still_suspends_business_members(membership, operator, suppliers, members):
    membership.suspend(suppliers[0], REASON, {"from": operator})
    membership.reinstate(suppliers[0], {"from": operator})
    assert membership.memberOf(suppliers[0])["status"] == ACTIVE
