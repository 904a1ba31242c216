"""tierchain.clients.requests and RelayClient: typed data, signing online and offline (browser-wallet
JSON), local signature checks, domain checks, and relaying through the operator's Sender."""

from __future__ import annotations

import dataclasses
import json

import pytest
from eth_account import Account
from web3 import Web3

from tierchain.chain.abi import call_data
from tierchain.chain.deployment import DAY
from tierchain.clients.bundle import Contracts
from tierchain.clients.requests import (
    AcceptPayable,
    Call,
    Domain,
    MoveValue,
    SignedRequest,
    SplitPiece,
    TransferPiece,
    attach_signature,
    deadline_in,
    parse_typed_data,
    read_domain,
    recover_signer,
    sign_request,
    wallet_json,
    wallet_typed_data,
)
from tierchain.core.errors import ChainIdMismatchError, DeploymentError, PayableError, RelayError, SignatureError


def _issue(lib: Contracts, w3: Web3, sender, keys, face: int = 1_000_000) -> tuple[int, int]:
    """A payable issued to keys[3], not yet accepted."""
    core, supplier = sender(2), sender(3)
    root = Web3.keccak(text=f"root-{w3.eth.block_number}")
    lib.registry.register_package(core, root, 10, face, supplier.address, Web3.keccak(text="doc"))
    now = int(w3.eth.get_block("latest")["timestamp"])
    return lib.token.issue(
        core, supplier.address, face, lib.deployment.currency, now + 30 * DAY, root,
        Web3.keccak(text="confirmation"),
    )  # fmt: skip


# ---------------------------------------------------------------------------- domain


def test_domain_read_through_erc5267_and_checked(lib, w3) -> None:
    domain = lib.relay.domain(expected_chain_id=lib.deployment.chain_id)
    assert domain == Domain(chain_id=w3.eth.chain_id, verifying_contract=lib.deployment.relay)
    assert lib.relay.contract.functions.domainSeparator().call() == domain.separator


def test_domain_for_another_chain_is_refused(lib, w3) -> None:
    with pytest.raises(ChainIdMismatchError):
        read_domain(w3, lib.deployment.relay, expected_chain_id=w3.eth.chain_id + 1)


def test_domain_of_a_contract_that_is_no_relay_is_refused(lib, w3) -> None:
    with pytest.raises(DeploymentError, match="EIP-712 domain"):
        read_domain(w3, lib.deployment.token)
    with pytest.raises(DeploymentError, match="no relay contract"):
        read_domain(w3, "0x" + "12" * 20)


# ---------------------------------------------------------------------------- relayed end to end


def test_each_kind_relayed_through_the_operator(lib, w3, sender, keys) -> None:
    operator, supplier = sender(1), keys[3]
    domain = lib.relay.domain()
    payable_id, first = _issue(lib, w3, sender, keys)
    balance = w3.eth.get_balance(supplier.address)
    deadline = deadline_in(w3, 3_600)

    def signed(request):  # type: ignore[no-untyped-def]
        return sign_request(request, domain, supplier)

    assert lib.relay.nonce_of(supplier.address) == 0
    receipt = lib.relay.relay(operator, signed(AcceptPayable(supplier.address, payable_id, 0, deadline)))
    assert receipt.event("RequestRelayed").args["signer"] == supplier.address
    assert lib.token.payable_of(payable_id).status == "accepted"

    split = SplitPiece(supplier.address, first, keys[4].address, 300_000, 1, deadline)
    new_id = lib.relay.relay_split(operator, signed(split))
    assert lib.token.owner_of(new_id) == keys[4].address

    lib.relay.relay(operator, signed(MoveValue(supplier.address, first, new_id, 100_000, 2, deadline)))
    assert lib.token.balance_of(new_id) == 400_000

    lib.relay.relay(operator, signed(TransferPiece(supplier.address, first, keys[5].address, 3, deadline)))
    assert lib.token.owner_of(first) == keys[5].address

    merge_back = call_data("PayableToken", "transferFrom(uint256,uint256,uint256)", new_id, first, 1_000)
    with pytest.raises(PayableError, match="PayableNotOwnerNorApproved"):  # first is keys[5]'s now
        lib.relay.relay(operator, signed(Call(supplier.address, lib.deployment.token, merge_back, 4, deadline)))
    assert lib.relay.nonce_of(supplier.address) == 4
    assert w3.eth.get_balance(supplier.address) == balance  # the supplier paid nothing


def test_inner_error_decoded_through_the_relay(lib, w3, sender, keys) -> None:
    payable_id, first = _issue(lib, w3, sender, keys)
    lib.token.accept(sender(3), payable_id)
    domain = lib.relay.domain()
    request = SplitPiece(keys[3].address, first, keys[4].address, 50, 0, deadline_in(w3, 600))
    with pytest.raises(PayableError) as info:
        lib.relay.relay(sender(1), sign_request(request, domain, keys[3]))
    assert info.value.error_name == "PayableBelowMinimum"
    assert info.value.args_by_name["value"] == 50


def test_replay_is_a_named_relay_error(lib, w3, sender, keys) -> None:
    payable_id, _ = _issue(lib, w3, sender, keys)
    signed = sign_request(
        AcceptPayable(keys[3].address, payable_id, 0, deadline_in(w3, 600)), lib.relay.domain(), keys[3]
    )
    lib.relay.relay(sender(1), signed)
    with pytest.raises(RelayError) as info:
        lib.relay.relay(sender(1), signed)
    assert info.value.error_name == "RelayBadNonce"
    assert info.value.args_by_name["expected"] == 1 and info.value.args_by_name["given"] == 0


def test_expired_is_a_named_relay_error(lib, w3, sender, keys) -> None:
    payable_id, _ = _issue(lib, w3, sender, keys)
    signed = sign_request(AcceptPayable(keys[3].address, payable_id, 0, 1), lib.relay.domain(), keys[3])
    with pytest.raises(RelayError, match="RelayExpired: deadline=1"):
        lib.relay.relay(sender(1), signed)


def test_relay_refuses_a_request_for_another_relay_or_chain(lib, w3, sender, keys) -> None:
    domain = lib.relay.domain()
    request = AcceptPayable(keys[3].address, 1, 0, 10**10)
    for other in (
        dataclasses.replace(domain, verifying_contract=lib.deployment.token),
        dataclasses.replace(domain, chain_id=domain.chain_id + 1),
    ):
        with pytest.raises(SignatureError):
            lib.relay.relay(sender(1), sign_request(request, other, keys[3]))


# ---------------------------------------------------------------------------- offline signing


DOMAIN = Domain(chain_id=1337, verifying_contract=Web3.to_checksum_address("0x" + "ab" * 20))


def _keys():
    from tierchain.chain.local import dev_accounts

    return dev_accounts(5)


def test_browser_wallet_json_signs_to_the_same_signature() -> None:
    keys = _keys()
    token_id = (1_800_000_000 << 96) | (7 << 32) | 3  # far above 2**53
    request = SplitPiece(keys[3].address, token_id, keys[4].address, 123_456, 9, 1_900_000_000)
    text = wallet_json(request, DOMAIN)
    doc = json.loads(text)
    assert doc["message"]["fromTokenId"] == str(token_id)  # JavaScript-safe
    assert doc["primaryType"] == "SplitPiece"
    # what a wallet does with the JSON (eth_signTypedData_v4) == what the library signs
    wallet_sig = Account.sign_typed_data(keys[3].key, full_message=doc).signature
    assert bytes(wallet_sig) == sign_request(request, DOMAIN, keys[3]).signature
    parsed, domain = parse_typed_data(text)
    assert parsed == request and domain == DOMAIN
    signed = attach_signature(parsed, domain, "0x" + bytes(wallet_sig).hex())
    assert signed.signature == bytes(wallet_sig)


def test_signed_request_json_round_trip() -> None:
    keys = _keys()
    request = Call(keys[3].address, keys[4].address, b"\x01\x02\x03", 0, 10**10)
    signed = sign_request(request, DOMAIN, keys[3])
    again = SignedRequest.from_json(signed.to_json())
    assert again == signed
    assert wallet_typed_data(request, DOMAIN)["message"]["data"] == "0x010203"


def test_digest_matches_eth_account() -> None:
    keys = _keys()
    request = TransferPiece(keys[3].address, 42, keys[4].address, 1, 2)
    signable = request.signable(DOMAIN)
    assert signable.header == DOMAIN.separator and signable.body == request.struct_hash()
    assert recover_signer(request, DOMAIN, sign_request(request, DOMAIN, keys[3]).signature) == keys[3].address


def test_a_key_signs_only_its_own_requests() -> None:
    keys = _keys()
    request = AcceptPayable(keys[3].address, 1, 0, 10)
    with pytest.raises(SignatureError, match="signed by its own signer"):
        sign_request(request, DOMAIN, keys[4])


def test_attach_signature_checks_signer_domain_and_fields() -> None:
    keys = _keys()
    request = AcceptPayable(keys[3].address, 1, 0, 10)
    signature = sign_request(request, DOMAIN, keys[3]).signature
    with pytest.raises(SignatureError, match="not the signer"):
        attach_signature(dataclasses.replace(request, payable_id=2), DOMAIN, signature)
    with pytest.raises(SignatureError, match="not the signer"):
        attach_signature(request, dataclasses.replace(DOMAIN, chain_id=1), signature)
    with pytest.raises(SignatureError, match="65 bytes"):
        attach_signature(request, DOMAIN, signature[:64])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = signature[:32] + (n - int.from_bytes(signature[32:64], "big")).to_bytes(32, "big") + signature[64:]
    with pytest.raises(SignatureError, match="high s"):
        attach_signature(request, DOMAIN, high_s)
    with pytest.raises(SignatureError, match="not hex"):
        attach_signature(request, DOMAIN, "0xzz")
    # a contract signer's signature is left to the relay (ERC-1271)
    assert attach_signature(request, DOMAIN, b"\x01", contract_signer=True).signature == b"\x01"


def test_requests_validate_their_fields() -> None:
    keys = _keys()
    with pytest.raises(SignatureError, match="not an address"):
        AcceptPayable("0x1234", 1, 0, 10)  # type: ignore[arg-type]
    with pytest.raises(SignatureError, match="uint256"):
        AcceptPayable(keys[3].address, -1, 0, 10)
    with pytest.raises(SignatureError, match="not an integer"):
        AcceptPayable(keys[3].address, True, 0, 10)
    with pytest.raises(SignatureError, match="not bytes"):
        Call(keys[3].address, keys[4].address, 5, 0, 10)  # type: ignore[arg-type]
    lower = AcceptPayable(keys[3].address.lower(), 1, 0, 10)  # type: ignore[arg-type]
    assert lower.signer == keys[3].address


def test_parse_refuses_what_is_not_a_tierchain_request() -> None:
    keys = _keys()
    doc = wallet_typed_data(AcceptPayable(keys[3].address, 1, 0, 10), DOMAIN)
    renamed = json.loads(json.dumps(doc)) | {"primaryType": "Permit"}
    with pytest.raises(SignatureError, match="unknown request type"):
        parse_typed_data(renamed)
    reordered = json.loads(json.dumps(doc))
    reordered["types"]["AcceptPayable"].reverse()
    with pytest.raises(SignatureError, match="fields differ"):
        parse_typed_data(reordered)
    salted = json.loads(json.dumps(doc))
    salted["types"]["EIP712Domain"].append({"name": "salt", "type": "bytes32"})
    with pytest.raises(SignatureError, match="EIP712Domain"):
        parse_typed_data(salted)
    extra = json.loads(json.dumps(doc))
    extra["message"]["memo"] = "x"
    with pytest.raises(SignatureError, match="unexpected fields"):
        parse_typed_data(extra)
    with pytest.raises(SignatureError, match="not EIP-712"):
        parse_typed_data("[]")
    with pytest.raises(SignatureError, match="not a signed request"):
        SignedRequest.from_json("{}")
