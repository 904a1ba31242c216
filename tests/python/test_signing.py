"""The sender's own EIP-1559 signing gives exactly eth-account's bytes and hash."""

from __future__ import annotations

from eth_keys.datatypes import PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tierchain.chain.local import dev_accounts
from tierchain.chain.sender import sign_dynamic_fee

uint = st.integers(min_value=0, max_value=2**64)


@settings(max_examples=60, deadline=None)
@given(
    key_index=st.integers(0, 4), chain_id=st.sampled_from([1, 1337, 31337, 2**32 + 7]),
    nonce=uint, tip=uint, max_fee=uint, gas=st.integers(21_000, 30_000_000),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)), value=uint,
    data=st.binary(max_size=300),
)  # fmt: skip
def test_dynamic_fee_signature_matches_eth_account(
    key_index, chain_id, nonce, tip, max_fee, gas, to, value, data
) -> None:
    account = dev_accounts(5)[key_index]
    tx = {"chainId": chain_id, "nonce": nonce, "gas": gas, "value": value, "data": data,
          "maxPriorityFeePerGas": tip, "maxFeePerGas": max_fee}  # fmt: skip
    if to is not None:
        from eth_utils.address import to_checksum_address

        tx["to"] = to_checksum_address(to)
    expected = account.sign_transaction(tx)
    raw, tx_hash = sign_dynamic_fee(PrivateKey(bytes(account.key)), tx)
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == bytes(expected.hash)
