"""A test wallet: an EIP-1193 provider injected into the page whose keys stay in Python.

The page sees an ordinary browser wallet (announced through EIP-6963, and optionally as
``window.ethereum``); every request it makes goes to :meth:`TestWallet.handle` through a
Playwright binding and is recorded in :attr:`TestWallet.calls`. Typed data is signed with
eth-account, transactions are signed here and sent raw; reads go to the chain's RPC. Tests can
make it refuse (code 4001), pretend to be on another chain, or not know the chain (4902).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3

INIT_SCRIPT = (Path(__file__).with_name("wallet_provider.js")).read_text(encoding="utf-8")


@dataclass
class TestWallet:
    """One member's wallet in one browser context."""

    __test__ = False  # not a pytest test class

    w3: Web3
    account: LocalAccount
    chain_id: int
    known_chains: set[int] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)
    authorised: bool = False
    calls: list[tuple[str, Any]] = field(default_factory=list)
    eip6963: bool = True
    window_ethereum: bool = True

    def __post_init__(self) -> None:
        self.known_chains.add(self.chain_id)

    # ------------------------------------------------------------------ wiring

    def install(self, context: Any) -> None:
        """Expose the handler and inject the provider into every page of ``context``."""
        context.expose_function("__tierchainWallet", self._binding)
        cfg = json.dumps({"eip6963": self.eip6963, "windowEthereum": self.window_ethereum})
        context.add_init_script(INIT_SCRIPT % {"cfg": cfg})

    def _binding(self, payload: str) -> str:
        req = json.loads(payload)
        return json.dumps(self.handle(req["method"], req.get("params") or []))

    def methods(self) -> list[str]:
        return [m for m, _ in self.calls]

    def typed_data_signed(self) -> list[dict[str, Any]]:
        """Every typed-data object the page asked this wallet to sign, in order."""
        return [json.loads(p[1]) for m, p in self.calls if m == "eth_signTypedData_v4"]

    def sends(self) -> list[Any]:
        return [p for m, p in self.calls if m in ("eth_sendTransaction", "eth_signTypedData_v4", "personal_sign")]

    # ------------------------------------------------------------------ EIP-1193

    def handle(self, method: str, params: list[Any]) -> dict[str, Any]:
        self.calls.append((method, params))
        if method in self.refuse:
            return {"error": {"code": 4001, "message": "User rejected the request."}}
        me = self.account.address
        if method == "eth_requestAccounts":  # lower case, as MetaMask answers
            self.authorised = True
            return {"result": [me.lower()]}
        if method == "eth_accounts":
            return {"result": [me.lower()] if self.authorised else []}
        if method in ("eth_chainId", "net_version"):
            return {"result": hex(self.chain_id) if method == "eth_chainId" else str(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            wanted = int(params[0]["chainId"], 16)
            if wanted not in self.known_chains:
                return {"error": {"code": 4902, "message": f"Unrecognized chain ID {hex(wanted)}."}}
            self.chain_id = wanted
            return {"result": None, "emit": [["chainChanged", hex(wanted)]]}
        if method == "wallet_addEthereumChain":
            self.known_chains.add(int(params[0]["chainId"], 16))
            return {"result": None}
        if not self.authorised:
            return {"error": {"code": 4100, "message": "Not authorised."}}
        if method == "eth_signTypedData_v4":
            if str(params[0]).lower() != me.lower():
                return {"error": {"code": 4100, "message": "Unknown account."}}
            data = json.loads(params[1])
            signed = self.account.sign_message(encode_typed_data(full_message=data))
            return {"result": "0x" + bytes(signed.signature).hex()}
        if method == "eth_sendTransaction":
            return self._send(params[0])
        if self.chain_id != int(self.w3.eth.chain_id):
            return {"error": {"code": -32000, "message": "the test wallet is on a chain it cannot reach"}}
        answer = self.w3.provider.make_request(method, params)  # type: ignore[arg-type]
        if "error" in answer:
            err = answer["error"]
            return {"error": {"code": err.get("code", -32000), "message": err.get("message", "")}}
        return {"result": answer.get("result")}

    def _send(self, tx: dict[str, Any]) -> dict[str, Any]:
        w3 = self.w3
        me = self.account.address
        if str(tx.get("from", me)).lower() != me.lower():
            return {"error": {"code": 4100, "message": "Unknown account."}}
        base: dict[str, Any] = {
            "from": me,
            "to": Web3.to_checksum_address(tx["to"]),
            "data": tx.get("data", "0x"),
            "value": int(tx.get("value", "0x0"), 16) if isinstance(tx.get("value"), str) else int(tx.get("value", 0)),
            "chainId": self.chain_id,
            "nonce": w3.eth.get_transaction_count(me, "pending"),
        }
        try:
            base["gas"] = int(w3.eth.estimate_gas(base) * 5 // 4)  # type: ignore[arg-type]
        except Exception as exc:  # a revert in simulation: the wallet refuses, as wallets do
            return {"error": {"code": -32603, "message": f"execution reverted: {exc}"}}
        block = w3.eth.get_block("latest")
        fee = block.get("baseFeePerGas")
        if fee is not None:
            base["maxFeePerGas"] = 2 * int(fee) + 10**9
            base["maxPriorityFeePerGas"] = 10**9
        else:
            base["gasPrice"] = w3.eth.gas_price
        signed = self.account.sign_transaction(base)
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        return {"result": "0x" + bytes(tx_hash).hex()}
