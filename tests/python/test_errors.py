from __future__ import annotations

from eth_abi.abi import encode
from web3 import Web3

from tierchain.chain.revert import default_decoder
from tierchain.core.errors import ContractRevert, MembershipError, PayableError, RegistryError


def _selector(signature: str) -> bytes:
    return bytes(Web3.keccak(text=signature)[:4])


def test_custom_error_decodes_into_its_family_with_values() -> None:
    data = _selector("PayableBelowMinimum(uint256,uint256,uint256)") + encode(
        ["uint256", "uint256", "uint256"], [7, 50, 100]
    )
    err = default_decoder().decode(data)
    assert isinstance(err, PayableError)
    assert err.error_name == "PayableBelowMinimum"
    assert err.args_by_name == {"tokenId": 7, "value": 50, "minimum": 100}
    assert str(err) == "PayableBelowMinimum: tokenId=7, value=50, minimum=100"


def test_families_and_addresses() -> None:
    addr = "0x" + "ab" * 20
    err = default_decoder().decode(_selector("MembershipNotMember(address)") + encode(["address"], [addr]))
    assert isinstance(err, MembershipError)
    assert err.args_by_name["account"] == Web3.to_checksum_address(addr)
    err = default_decoder().decode(_selector("RegistryUnknownPackage(bytes32)") + b"\x11" * 32)
    assert isinstance(err, RegistryError) and "root=0x1111" in str(err)


def test_revert_string_panic_and_unknown() -> None:
    err = default_decoder().decode(_selector("Error(string)") + encode(["string"], ["nope"]))
    assert err.error_name == "Error" and str(err) == "reverted: nope"
    err = default_decoder().decode(_selector("Panic(uint256)") + encode(["uint256"], [0x11]))
    assert err.error_name == "Panic" and "overflow" in str(err)
    err = default_decoder().decode(b"\xde\xad\xbe\xef")
    assert type(err) is ContractRevert and err.error_name == "" and "0xdeadbeef" in str(err)
    assert str(default_decoder().decode(b"")) == "reverted without a reason"
