"""JSON-RPC round trips per operation, counted through the library (a count, never a time).

A split as a command makes it: open the connection (the chain id, once), load and check the
deployment (one batch), read what the rules check (one batch, two with a ``P1#1`` name), sign
(gas estimate) and broadcast. Goal of issue 10: at most 6 before the receipt poll (it was ~24).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from tests.python.cli.conftest import SUPPLIER, SUPPLIER2, Run
from tierchain.chain.deployment import Deployment, load_deployment
from tierchain.chain.rpc import CountingProvider, RpcCount, counting, open_web3
from tierchain.chain.sender import Sender
from tierchain.clients import rules
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import short_id

POLL = ("eth_getTransactionReceipt",)


def before_poll(n: RpcCount) -> int:
    return n.calls - sum(n.by_method[m] for m in POLL)


@pytest.mark.parametrize("named", ["short", "token id"])
def test_split_in_at_most_6_calls(
    rpc_url: str, lib_home: Path, lib_deployment: Deployment, keys: list[LocalAccount],
    payable: tuple[int, int], named: str,
) -> None:  # fmt: skip
    _, token_id = payable
    w3 = open_web3(rpc_url)  # a fresh process's connection: nothing cached yet
    provider = w3.provider
    assert isinstance(provider, CountingProvider)
    first = provider.count.calls
    with counting(w3) as n:
        c = Contracts.at(w3, load_deployment(w3, home=lib_home))
        ref = rules.parse_piece(short_id(token_id) if named == "short" else str(token_id))
        signer = keys[SUPPLIER].address
        view = rules.check_split(c, signer, ref, keys[SUPPLIER2].address, 100_00)
        new_id = c.token.split(view.prime(Sender(w3, keys[SUPPLIER])), view.piece(ref).token_id,
                               keys[SUPPLIER2].address, 100_00)  # fmt: skip
    total = first + before_poll(n)  # the connection's eth_chainId counts too
    assert c.token.piece_of(new_id).owner == keys[SUPPLIER2].address
    assert c.token.piece_of(token_id).value == 5_000_00 - 100_00
    assert n.by_method["eth_chainId"] == 0  # asked once, when the connection opened
    assert n.by_method["eth_sendRawTransaction"] == 1
    assert total <= 6, dict(n.by_method)


def test_cli_split_counts_the_same(run: Run, keys: list[LocalAccount], payable: tuple[int, int]) -> None:
    """The command itself: CountingProvider.all counts every provider of the process."""
    payable_id, _ = payable
    before = CountingProvider.all.snapshot()
    run("payables", "split", f"P{payable_id}#1", "--to", keys[SUPPLIER2].address, "--amount", "100.00",
        "--dev-account", SUPPLIER)  # fmt: skip
    after = CountingProvider.all.snapshot()
    n = RpcCount(after.calls - before.calls, after.by_method - before.by_method)
    assert n.by_method["eth_sendRawTransaction"] == 1
    assert before_poll(n) <= 6, dict(n.by_method)


def test_rule_error_is_named_and_worded(
    rpc_url: str, lib_home: Path, lib_deployment: Deployment, keys: list[LocalAccount], payable: tuple[int, int]
) -> None:
    """A doomed split is refused by the library before any signing, with the rule's name,
    its values and the sentence from the one table."""
    payable_id, token_id = payable
    w3 = open_web3(rpc_url)
    c = Contracts.at(w3, load_deployment(w3, home=lib_home))
    ref = rules.parse_piece(f"P{payable_id}#1")
    with counting(w3) as n, pytest.raises(rules.NotAllowedError) as err:
        rules.check_split(c, keys[SUPPLIER].address, ref, keys[SUPPLIER2].address, 4_999_50)
    assert err.value.rule == "RestBelowMinimum"
    assert err.value.values["rest"] == 50
    assert str(err.value) == (
        f"piece P{payable_id}#1 would keep 0.50, below the minimum piece value 1.00: move all of it "
        "or leave at least the minimum"
    )
    assert n.by_method["eth_sendRawTransaction"] == 0 and n.by_method["eth_estimateGas"] == 0
    with pytest.raises(rules.NotAllowedError) as err2:
        rules.check_split(c, keys[SUPPLIER2].address, ref, keys[SUPPLIER].address, 100_00)
    assert err2.value.rule == "NotPieceOwner" and err2.value.values["owner"] == keys[SUPPLIER].address
    with pytest.raises(rules.NotFoundError) as err3:
        rules.check_split(c, keys[SUPPLIER].address, rules.parse_piece(f"P{payable_id}#9"), keys[SUPPLIER2].address, 1)
    assert err3.value.rule == "NoSuchPieceIndex"
    assert token_id


def test_parse_piece_one_parser() -> None:
    ref = rules.parse_piece("p3#2")
    assert (ref.payable_id, ref.index, ref.token_id) == (3, 2, None)
    tid = (1_900_000_000 << 96) | (3 << 32) | 2
    assert rules.parse_piece(str(tid)).token_id == tid
    assert rules.parse_piece(hex(tid)).payable_id == 3
    for bad in ("P3", "#2", "P3#", "x", "", "P3#2#1", "-1", "12345"):  # 12345: no payable in it
        with pytest.raises(rules.PieceError) as err:
            rules.parse_piece(bad)
        assert err.value.exit_code == 20  # one exit code for a bad piece, in every command


def test_parse_address_refuses_bad_checksum() -> None:
    good = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
    assert rules.parse_address(good.lower()) == good
    bad = "0x90f79bf6EB2c4f870365E785982E1f101E93b906"  # one letter's case flipped
    with pytest.raises(rules.InputError) as err:
        rules.parse_address(bad, "--to")
    assert err.value.rule == "BadChecksum" and "--to" in str(err.value)


def test_rate_parser_speaks_of_rates_not_tokens() -> None:
    """Issue 14 item 10: the rate parser's error no longer speaks of "this token"."""
    from tierchain.cli.financing import parse_rate
    from tierchain.core.errors import AmountError

    assert parse_rate("6.5%") == 650 and parse_rate("650bps") == 650
    for bad, words in (("6.555%", "a rate in percent allows at most 2"), ("650.5bps", "basis points are whole")):
        with pytest.raises(AmountError) as err:
            parse_rate(bad)
        assert words in str(err.value) and "token" not in str(err.value)
