"""The JSON-RPC connection every command opens: one HTTP provider that counts round trips and
asks the chain id only once.

``open_web3(url)`` returns a :class:`~web3.Web3` whose provider is a :class:`CountingProvider`:

* every HTTP request is counted once (a JSON-RPC batch of N calls is one round trip), by method,
  so ``bench/bench_rpc.py`` and the tests can say how many requests an operation makes;
* ``eth_chainId`` is answered from memory after the first answer (a node's chain id does not
  change while a process talks to it).

:func:`chain_id_of` reads the cached id of any Web3 (and asks the node once if it has none).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from tierchain.core.errors import ChainError


@dataclass
class RpcCount:
    """Round trips made since the counter was (re)started."""

    calls: int = 0
    by_method: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.calls = 0
        self.by_method.clear()

    def snapshot(self) -> RpcCount:
        return RpcCount(self.calls, Counter(self.by_method))


class CountingProvider(HTTPProvider):
    """An :class:`HTTPProvider` that counts its round trips (in ``count``, and every provider of
    the process together in ``CountingProvider.all``) and keeps the chain id."""

    all: ClassVar[RpcCount] = RpcCount()

    def __init__(self, endpoint_uri: str, **kwargs: Any) -> None:
        super().__init__(endpoint_uri, **kwargs)
        self.count = RpcCount()
        self._chain_id: RPCResponse | None = None

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_chainId" and self._chain_id is not None:
            return cast(RPCResponse, {**self._chain_id, "id": self._chain_id.get("id")})
        for count in (self.count, CountingProvider.all):
            count.calls += 1
            count.by_method[str(method)] += 1
        response = super().make_request(method, params)
        if method == "eth_chainId" and "result" in response:
            self._chain_id = response
        return response

    def make_batch_request(self, requests: Any) -> Any:
        names = [str(r[0]) for r in requests]
        for count in (self.count, CountingProvider.all):
            count.calls += 1
            count.by_method["batch(" + ",".join(sorted(set(names))) + ")"] += 1
        return super().make_batch_request(requests)


def open_web3(url: str, *, timeout: float = 30.0) -> Web3:
    """A Web3 on ``url`` (http/https) through a :class:`CountingProvider`; checks that the node
    answers (the one ``eth_chainId`` request of the process)."""
    if not url.startswith(("http://", "https://")):
        raise ChainError(f"{url!r}: only http(s) JSON-RPC URLs are supported")
    w3 = Web3(CountingProvider(url, request_kwargs={"timeout": timeout}))
    try:
        chain_id_of(w3)
    except Exception as exc:
        raise ChainError(f"no JSON-RPC node answers at {url} ({type(exc).__name__})") from None
    return w3


def chain_id_of(w3: Web3) -> int:
    """The chain id (one request per Web3 behind a :class:`CountingProvider`)."""
    return int(w3.eth.chain_id)


def rpc_count(w3: Web3) -> RpcCount | None:
    """The round-trip counter of ``w3`` (None if its provider does not count)."""
    provider = w3.provider
    return provider.count if isinstance(provider, CountingProvider) else None


@contextmanager
def counting(w3: Web3) -> Iterator[RpcCount]:
    """Count the round trips made inside the block: ``with counting(w3) as n: ...; n.calls``."""
    count = rpc_count(w3)
    if count is None:
        raise ChainError("this Web3 does not count its requests: open it with open_web3()")
    before = count.snapshot()
    result = RpcCount()
    try:
        yield result
    finally:
        result.calls = count.calls - before.calls
        result.by_method = count.by_method - before.by_method


def batch(w3: Web3, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    """Send ``calls`` (method, params) as ONE JSON-RPC batch request (one round trip); returns,
    in order, each call's raw ``result`` or, for a call that failed, its ``error`` object wrapped
    in :class:`RpcFailure`. Providers without batches get one request per call."""
    if not calls:
        return []
    make_batch = getattr(w3.provider, "make_batch_request", None)
    if make_batch is None or len(calls) == 1:
        answers = [w3.provider.make_request(RPCEndpoint(m), p) for m, p in calls]
    else:
        answers = make_batch([(RPCEndpoint(m), p) for m, p in calls])
        if isinstance(answers, dict) or not isinstance(answers, list) or len(answers) != len(calls):
            raise ChainError(f"the node refused a batch request: {answers!r}"[:300])
    out: list[Any] = []
    for answer in answers:
        if isinstance(answer, dict) and "error" in answer:
            out.append(RpcFailure(answer["error"]))
        else:
            out.append(answer.get("result") if isinstance(answer, dict) else None)
    return out


class RpcFailure:
    """A call of a batch that failed: ``error`` is the node's JSON-RPC error object (a revert
    carries its data there)."""

    def __init__(self, error: Any) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"RpcFailure({self.error!r})"
