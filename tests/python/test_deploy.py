from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from tierchain.chain.deployment import Deployment, deployment_path, load_deployment
from tierchain.core.errors import ChainIdMismatchError, DeploymentError
from tierchain.workflows.deploy import deploy_all


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
