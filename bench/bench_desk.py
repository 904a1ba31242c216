"""Gas of financing through the desk: piece and payment moving together (delivery versus payment).

Run: `python -m bench.bench_desk` (make bench), on Ganache 7.9.2 with the shanghai hardfork.
BENCH_NETWORK picks another brownie network (e.g. a Ganache on a private port).
- finance_accept:signed,whole,fixed   take(offer, signature) of a whole piece at a fixed price
- finance_accept:signed,part,rate     the same for part of a piece (a new piece is split off),
                                      priced at a discount rate for the days left
- finance_accept:posted,...           takePosted(offer) of an offer posted on chain
- desk.post / desk.cancel / desk.invalidate_nonces
The seller and the financier already hold the currency (warm balances), as in normal use.
"""

from __future__ import annotations

import os
from typing import Any

from eth_account import Account

from bench.chain import brownie_chain, chain_label
from bench.common import CENTS, DAY, ROLE_CORE, ROLE_FINANCIER, ROLE_SUPPLIER, Report
from bench.common import keccak_text as _h

MNEMONIC = "test test test test test test test test test test test junk"
ZERO = "0x" + "00" * 20


def measure(proj: Any, accounts: Any, chain: Any, report: Report) -> None:
    from tierchain.clients.desk import Offer, sign_offer

    Account.enable_unaudited_hdwallet_features()
    admin, core, seller, financier = accounts[0], accounts[1], accounts[2], accounts[3]
    fin_key = Account.from_mnemonic(MNEMONIC, account_path="m/44'/60'/0'/0/3")
    assert fin_key.address == financier.address
    membership = proj.Membership.deploy(admin, {"from": admin})
    registry = proj.InvoiceRegistry.deploy(membership, {"from": admin})
    # The token requires a trusted forwarder; no relay is benched here, so an idle account.
    token = proj.PayableToken.deploy(membership, registry, 100, 365 * DAY, accounts[9], {"from": admin})
    registry.bindToken(token, {"from": admin})
    membership.addListener(token, {"from": admin})
    currency = proj.DemoStableToken.deploy(admin, {"from": admin})
    desk = proj.FinancingDesk.deploy(token, membership, ZERO, {"from": admin})
    token.setAgent(desk, 1, {"from": admin})
    membership.admit(core, ROLE_CORE, _h("core"), {"from": admin})
    membership.admit(seller, ROLE_SUPPLIER, _h("seller"), {"from": admin})
    membership.admit(financier, ROLE_FINANCIER, _h("financier"), {"from": admin})
    currency.mint(financier, 10**12, {"from": admin})
    currency.mint(seller, 1, {"from": admin})  # a seller who already holds the currency
    currency.approve(desk, 2**256 - 1, {"from": financier})

    face = 1_000_000 * CENTS
    root = _h("package")
    registry.registerPackage(root, 100, 20 * face, seller, _h("doc"), {"from": core})
    nonce = iter(range(1, 1000))

    def new_piece() -> int:
        tx = token.issue(seller, face, currency, chain.time() + 90 * DAY, root, _h(f"c{chain.height}"), {"from": core})
        payable_id, token_id = tx.return_value
        token.accept(payable_id, {"from": seller})
        return int(token_id)

    def offer(token_id: int, value: int, rate: int | None) -> Offer:
        deadline = chain.time() + DAY
        if rate is None:
            return Offer.fixed(
                financier.address, token_id, value, value * 98 // 100, deadline=deadline, nonce=next(nonce)
            )
        return Offer.at_rate(financier.address, token_id, value, rate, deadline=deadline, nonce=next(nonce))

    for whole in (True, False):
        for rate in (None, 600):
            pid = new_piece()
            o = offer(pid, face if whole else face // 4, rate)
            sig = sign_offer(fin_key, o, chain.id, desk.address).signature
            tx = desk.take(o.as_tuple(), sig, {"from": seller})
            shape = f"signed,{'whole' if whole else 'part'},{'fixed' if rate is None else 'rate'}"
            report.add(f"gas.finance_accept:{shape}", tx.gas_used, "gas")

    pid = new_piece()
    o = offer(pid, face // 4, None)
    tx = desk.post(o.as_tuple(), {"from": financier})
    report.add("gas.desk_post", tx.gas_used, "gas")
    tx = desk.takePosted(o.as_tuple(), {"from": seller})
    report.add("gas.finance_accept:posted,part,fixed", tx.gas_used, "gas")
    o = offer(pid, face // 4, 600)
    tx = desk.cancel(desk.hashOffer(o.as_tuple()), {"from": financier})
    report.add("gas.desk_cancel", tx.gas_used, "gas")
    tx = desk.invalidateNonces(10_000, {"from": financier})
    report.add("gas.desk_invalidate_nonces", tx.gas_used, "gas")
    # For comparison: the same split done by the holder itself, without payment.
    tx = token.transferFrom["uint256,address,uint256"](pid, financier, face // 4, {"from": seller})
    report.add("gas.split_to_existing_holder", tx.gas_used, "gas", subject="no-payment")


def main() -> None:
    network = os.environ.get("BENCH_NETWORK", "tierchain-ganache")
    with brownie_chain(network) as proj:
        from brownie import accounts, chain

        report = Report("desk", chain_label(network))
        measure(proj, accounts, chain, report)
    report.print()
    print(f"written: {report.write()}")


if __name__ == "__main__":
    main()
