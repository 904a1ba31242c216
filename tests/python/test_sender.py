from __future__ import annotations

import pytest
from web3 import Web3

from tierchain.chain.deployment import DAY
from tierchain.chain.sender import TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import ContractRevert, PayableError, RegistryError


def _issue(lib: Contracts, w3: Web3, sender, keys, face: int = 1_000_000) -> tuple[int, int]:
    core, supplier = sender(2), sender(3)
    root = Web3.keccak(text=f"root-{w3.eth.block_number}")
    lib.registry.register_package(core, root, 10, face, supplier.address, Web3.keccak(text="doc"))
    now = int(w3.eth.get_block("latest")["timestamp"])
    payable_id, token_id = lib.token.issue(
        core, supplier.address, face, lib.deployment.currency, now + 30 * DAY, root,
        Web3.keccak(text="confirmation"),
    )  # fmt: skip
    lib.token.accept(supplier, payable_id)
    return payable_id, token_id


def test_split_below_minimum_raises_named_error_with_values(lib, w3, sender, keys) -> None:
    _, token_id = _issue(lib, w3, sender, keys)
    nonce = sender(3).next_nonce
    with pytest.raises(PayableError) as info:
        lib.token.split(sender(3), token_id, keys[4].address, 50)
    err = info.value
    assert err.error_name == "PayableBelowMinimum"
    assert err.args_by_name["value"] == 50 and err.args_by_name["minimum"] == 100
    assert "PayableBelowMinimum:" in str(err) and "minimum=100" in str(err)
    # decoded at gas estimation: nothing was signed or sent
    assert err.tx_hash is None
    assert w3.eth.get_transaction_count(keys[3].address) == nonce


def test_split_returns_the_minted_piece(lib, w3, sender, keys) -> None:
    payable_id, token_id = _issue(lib, w3, sender, keys)
    new_id = lib.token.split(sender(3), token_id, keys[4].address, 300_000)
    piece = lib.token.piece_of(new_id)
    assert piece.owner == keys[4].address and piece.value == 300_000
    assert piece.parent_token_id == token_id and piece.payable_id == payable_id
    assert lib.token.balance_of(token_id) == 700_000


def test_status_zero_is_detected_and_decoded(lib, w3, sender) -> None:
    admin = sender(0)
    req = lib.registry.request("bindToken(address)", lib.deployment.token)
    forced = TxRequest(req.to, req.data, gas=200_000, label="bind again")  # skip estimation
    with pytest.raises(RegistryError, match="RegistryTokenAlreadyBound") as info:
        admin.send(forced)
    assert info.value.tx_hash is not None
    receipt = w3.eth.get_transaction_receipt(info.value.tx_hash)
    assert receipt["status"] == 0  # mined, failed, and reported as such


def test_nonces_over_quick_sends_and_pipelined_batch(lib, w3, sender, keys) -> None:
    operator = sender(1)
    start = w3.eth.get_transaction_count(operator.address)
    for i in range(3):
        lib.currency.mint(operator, keys[2].address, 100 + i)
    batch = operator.send_many([lib.currency.request("mint(address,uint256)", keys[3].address, 1) for _ in range(8)])
    assert all(r.status == 1 for r in batch)
    assert w3.eth.get_transaction_count(operator.address) == start + 11
    assert operator.next_nonce == start + 11
    txs = [w3.eth.get_transaction(r.tx_hash) for r in batch]
    assert [t["nonce"] for t in txs] == list(range(start + 3, start + 11))
    # a second Sender of the same key shares the counter (one writer per key)
    again = sender(1)
    lib.currency.mint(again, keys[2].address, 1)
    assert operator.next_nonce == start + 12
    assert lib.currency.balance_of(keys[3].address) == 8


def test_a_revert_in_a_view_is_decoded(lib) -> None:
    with pytest.raises(ContractRevert, match="PayableNonexistentToken"):
        lib.token.owner_of(12345)


def test_sender_reads_nothing_until_it_signs_and_takes_a_primed_block(lib, sender, keys, rpc_url) -> None:
    """Round trips (issue 10): a new Sender asks nothing (chain id cached by the connection); a
    send asks the block (fees and gas cap), the nonce, the estimate and the broadcast; primed with
    a block and a nonce read elsewhere it asks only the estimate and the broadcast."""
    from tierchain.chain.rpc import counting, open_web3
    from tierchain.chain.sender import Sender
    from tierchain.clients.bundle import Contracts

    w3 = open_web3(rpc_url)
    c = Contracts.at(w3, lib.deployment)
    with counting(w3) as built:
        s = Sender(w3, keys[2])
    assert built.calls == 0
    root = Web3.keccak(text=f"count-{w3.eth.block_number}")
    req = c.registry.request(
        "registerPackage(bytes32,uint32,uint64,address,bytes32)", root, 3, 300_000, keys[3].address,
        Web3.keccak(text="doc"),
    )  # fmt: skip
    with counting(w3) as plain:
        signed0 = _send(s, req)
    s.wait(signed0)
    assert plain.by_method["eth_getBlockByNumber"] == 1 and plain.by_method["eth_getTransactionCount"] == 1
    assert plain.by_method["eth_estimateGas"] == 1 and plain.by_method["eth_sendRawTransaction"] == 1
    block = dict(w3.eth.get_block("latest"))
    nonce = w3.eth.get_transaction_count(keys[2].address, "pending")
    fresh = Sender(w3, keys[2])
    fresh.prime(latest_block=block, nonce=nonce)
    root2 = Web3.keccak(text=f"count2-{w3.eth.block_number}")
    req2 = c.registry.request(
        "registerPackage(bytes32,uint32,uint64,address,bytes32)", root2, 3, 300_000, keys[3].address,
        Web3.keccak(text="doc"),
    )  # fmt: skip
    with counting(w3) as primed:
        signed = fresh.sign(req2)
        fresh.broadcast(signed)
    assert dict(primed.by_method) == {"eth_estimateGas": 1, "eth_sendRawTransaction": 1}
    assert signed.nonce == nonce
    fresh.wait(signed)
    assert lib.registry.package_of(root2).status == "active"


def _send(s, req):
    signed = s.sign(req)
    s.broadcast(signed)
    return signed
