from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from web3 import Web3

from tierchain.chain.deployment import CONTRACTS, Deployment, deployment_path, load_deployment
from tierchain.core.errors import ChainIdMismatchError, DeploymentError
from tierchain.workflows.deploy import (
    PLAN,
    DeployParams,
    check_currency,
    deploy_all,
    dry_run,
    plan_steps,
    standard_json_input,
)
from tierchain.workflows.journal import Journal, default_journal_path


def test_deploy_records_and_load_verifies(w3: Web3, sender, keys, tmp_path: Path) -> None:
    d = deploy_all(w3, sender(0), keys[1].address, home=tmp_path)
    assert deployment_path(d.chain_id, tmp_path).is_file()
    loaded = load_deployment(w3, home=tmp_path)
    assert loaded == d
    assert all(w3.eth.get_code(loaded.address_of(n)) for n in ("membership", "token"))


def test_load_without_record_tells_to_deploy(w3: Web3, tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="tierchain deploy"):
        load_deployment(w3, home=tmp_path)


def test_chain_id_mismatch_is_refused(lib_deployment: Deployment, w3: Web3, tmp_path: Path) -> None:
    doc = lib_deployment.to_json() | {"chain_id": 5}
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ChainIdMismatchError, match="record is for chain 5"):
        load_deployment(w3, path=path)


def test_address_without_code_is_refused(lib_deployment: Deployment, w3: Web3, tmp_path: Path) -> None:
    doc = lib_deployment.to_json() | {"token": "0x" + "12" * 20}
    path = tmp_path / "stale.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DeploymentError, match=r"no contract code .* token"):
        load_deployment(w3, path=path)


def test_record_from_another_chain_with_same_id_is_refused(
    lib_deployment: Deployment, w3: Web3, tmp_path: Path
) -> None:
    doc = lib_deployment.to_json() | {"genesis_hash": "0x" + "00" * 32}
    path = tmp_path / "reset.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DeploymentError, match="different genesis"):
        load_deployment(w3, path=path)


# ---------------------------------------------------------------------------- issue 15 / 14.8


def _open_erc20(w3: Web3, sender, decimals: int) -> str:  # type: ignore[no-untyped-def]
    from brownie import OpenERC20

    tx = sender(5).deploy(bytes.fromhex(OpenERC20.bytecode) + _abi(["string", "uint8"], ["Bank deposit", decimals]))
    return str(tx.contract_address)


def _abi(types: list[str], values: list[object]) -> bytes:
    from eth_abi.abi import encode

    return encode(types, values)


def test_existing_currency_is_bound_and_no_demo_currency_is_deployed(w3: Web3, sender, keys, tmp_path: Path) -> None:
    bank = _open_erc20(w3, sender, 6)
    info = check_currency(w3, bank)
    assert (info.symbol, info.decimals) == ("Bank deposit", 6)
    d = deploy_all(w3, sender(0), keys[1].address, currency=bank, home=tmp_path)
    assert d.currency == info.address
    journal = Journal(default_journal_path(tmp_path))
    (wf,) = journal.workflows()
    names = [s.name for s in journal.steps(wf.workflow_id)]
    assert "currency" not in names and len(names) == len(PLAN) - 1
    created = [w3.eth.get_transaction_receipt(h)["contractAddress"] for n, h in d.tx_hashes.items() if n in CONTRACTS]
    assert len(created) == 6 and bank not in created


@pytest.mark.parametrize("decimals", [0, 1, 37])
def test_currency_with_decimals_outside_2_to_36_is_refused_before_signing(
    w3: Web3, sender, keys, tmp_path: Path, decimals: int
) -> None:
    bank = _open_erc20(w3, sender, decimals)
    nonce = w3.eth.get_transaction_count(keys[0].address)
    with pytest.raises(DeploymentError, match=f"{decimals} decimals; payables need a currency with 2..36"):
        deploy_all(w3, sender(0), keys[1].address, currency=bank, home=tmp_path)
    assert w3.eth.get_transaction_count(keys[0].address) == nonce


def test_currency_without_code_is_refused(w3: Web3, sender, keys, tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="no contract on chain"):
        deploy_all(w3, sender(0), keys[1].address, currency="0x" + "42" * 20, home=tmp_path)


def test_record_naming_a_currency_the_chain_lacks_is_refused(
    lib_deployment: Deployment, w3: Web3, tmp_path: Path
) -> None:
    doc = lib_deployment.to_json() | {"currency": "0x" + "77" * 20}
    path = tmp_path / "other-network.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DeploymentError, match=r"names currency .* has no contract there"):
        load_deployment(w3, path=path)


def test_an_existing_record_is_never_overwritten_without_replace(w3: Web3, sender, keys, tmp_path: Path) -> None:
    first = deploy_all(w3, sender(0), keys[1].address, home=tmp_path)
    nonce = w3.eth.get_transaction_count(keys[0].address)
    with pytest.raises(DeploymentError, match=r"already recorded .* pass --replace"):
        deploy_all(w3, sender(0), keys[1].address, home=tmp_path)
    assert w3.eth.get_transaction_count(keys[0].address) == nonce  # refused before signing
    second = deploy_all(w3, sender(0), keys[1].address, home=tmp_path, replace=True)
    assert second.token != first.token
    kept = sorted((tmp_path / "deployments").glob(f"{first.chain_id}.*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text())["token"] == first.token
    assert load_deployment(w3, home=tmp_path).token == second.token


def test_dry_run_shows_the_plan_with_gas_and_sends_nothing(w3: Web3, sender, keys, tmp_path: Path) -> None:
    admin = keys[0].address
    params = DeployParams(admin=admin, operator=keys[1].address)
    nonce, block = w3.eth.get_transaction_count(admin), w3.eth.block_number
    plan = dry_run(w3, admin, params)
    assert w3.eth.get_transaction_count(admin) == nonce and w3.eth.block_number == block  # nothing sent
    assert [s.step.name for s in plan.steps] == [s.name for s in plan_steps(demo_currency=True)]
    assert all(s.gas > 21_000 for s in plan.steps)
    assert plan.total_gas == sum(s.gas for s in plan.steps) and plan.can_pay
    assert plan.cost_wei == plan.total_gas * plan.gas_price_wei > 0
    token = next(s for s in plan.steps if s.step.name == "token")
    assert token.args[:2] == [
        next(s.address for s in plan.steps if s.step.name == n) for n in ("membership", "registry")
    ]
    # the addresses shown are the ones the real deploy gets, and the estimates are close to the gas used
    d = deploy_all(w3, sender(0), keys[1].address, home=tmp_path)
    for s in plan.steps:
        if s.step.creates:
            assert s.address == d.address_of(s.step.contract)
            assert d.gas_used[s.step.name] <= s.gas < d.gas_used[s.step.name] * 1.1


def test_dry_run_says_when_the_deployer_cannot_pay(w3: Web3, keys) -> None:
    broke = "0x" + "5a" * 20
    plan = dry_run(w3, broke, DeployParams(admin=w3.to_checksum_address(broke), operator=keys[1].address))
    assert plan.balance_wei == 0 and not plan.can_pay


def test_the_plan_is_the_single_source_of_the_deploy_order(w3: Web3, sender, keys, tmp_path: Path) -> None:
    d = deploy_all(w3, sender(0), keys[1].address, home=tmp_path)
    journal = Journal(default_journal_path(tmp_path))
    (wf,) = journal.workflows()
    steps = journal.steps(wf.workflow_id)
    assert [s.name for s in steps] == [s.name for s in PLAN]
    assert [s.stage for s in steps] == [s.stage for s in PLAN]
    nonces = {s.name: s.nonce for s in steps}
    assert [nonces[s.name] for s in PLAN] == sorted(nonces.values())  # sent in plan order
    assert set(d.tx_hashes) == {s.name for s in PLAN} and sum(d.gas_used.values()) > 15_000_000


def test_standard_json_input_recompiles_to_the_deployed_bytecode(tmp_path: Path) -> None:
    from tierchain.chain.artifacts import load_artifact, project_root

    doc = standard_json_input("Membership")
    assert doc["compiler_version"].startswith("v0.8.37+commit.")
    solc = project_root() / "toolchain" / "solc" / "solc-v0.8.37"
    out = subprocess.run([str(solc), "--standard-json"], input=json.dumps(doc["input"]), capture_output=True,
                         text=True, timeout=120, check=True, cwd=tmp_path)  # fmt: skip
    path, name = doc["contract"].split(":")
    compiled = json.loads(out.stdout)["contracts"][path][name]["evm"]["bytecode"]["object"]
    assert "0x" + compiled == load_artifact("Membership").bytecode


def test_the_plan_creates_every_contract_of_the_set() -> None:
    assert {s.contract for s in PLAN if s.creates} == set(CONTRACTS)
    assert [s.stage for s in PLAN] == sorted(s.stage for s in PLAN)
