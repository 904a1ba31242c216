"""The service's state: chain, deployment, index follower and readers, relayer, offer book.

:class:`Service` is what ``tierchain serve`` builds once; the HTTP layer (:mod:`.app`) only
parses, calls and renders. The operator's key lives in the relayer's Sender and nowhere else.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from web3 import Web3

from tierchain.audit import index as ix
from tierchain.chain.deployment import Deployment, state_home
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.requests import Addresses, Domain
from tierchain.core.errors import TierchainError
from tierchain.core.money import format_units
from tierchain.service.follow import Readers, make_follower
from tierchain.service.offers import OfferBook
from tierchain.service.relayer import Relayer
from tierchain.workflows.journal import Journal

CENTS_DECIMALS: Final = 2
WEB_DIR: Final = Path(__file__).parent / "web"


@dataclass(frozen=True)
class ServiceConfig:
    """Everything ``tierchain serve`` takes besides the chain and the key."""

    allow_origins: tuple[str, ...] = ()
    max_body: int = 65_536
    rate_limit: int = 60  # signed posts per signer per minute
    read_rate_limit: int = 6_000  # requests per client address per minute
    min_balance_wei: int = 10**17
    poll_seconds: float = 0.5
    web_dir: Path = WEB_DIR
    receipt_timeout: float = 60.0
    read_cache: bool = True  # index reads answered once per indexed block


class RateLimiter:
    """At most ``limit`` events per key in any 60-second window."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one event; None if allowed, else the seconds until the next one is."""
        now = time.monotonic()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= now - self.window:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.0, q[0] + self.window - now)
            q.append(now)
            return None


def money(units: int, code: str, decimals: int = CENTS_DECIMALS) -> dict[str, Any]:
    """``{"amount": "1234.56", "units": "123456", "currency": "eCNY", "decimals": 2}``."""
    return {
        "amount": format_units(units, decimals, grouping=False),
        "units": str(units),
        "currency": code,
        "decimals": decimals,
    }


@dataclass
class Service:
    """One running service on one chain."""

    w3: Web3
    deployment: Deployment
    operator: LocalAccount | None
    config: ServiceConfig = field(default_factory=ServiceConfig)
    db: str | Path | None = None  # a SQLite file or a postgresql:// URL
    home: Path | None = None
    rpc_url: str = ""

    def __post_init__(self) -> None:
        home = self.home or state_home()
        chain_id = self.deployment.chain_id
        self.db_path: str | Path = self.db or ix.default_index_path(chain_id, home)
        self.c = Contracts.at(self.w3, self.deployment)
        self.addresses = Addresses(self.deployment.token, self.deployment.desk, self.deployment.settlement)
        self.relay_domain: Domain = self.c.relay.domain(expected_chain_id=chain_id)
        self.desk_domain: dict[str, Any] = self.c.desk.eip712_domain()
        self.follower = make_follower(self.w3, self.deployment, self.db_path, poll_seconds=self.config.poll_seconds)
        self.readers = Readers(self.db_path)
        self.offers = OfferBook(home / "service" / f"{chain_id}-offers.sqlite", self.c, chain_id)
        self.signer_limiter = RateLimiter(self.config.rate_limit)
        self.client_limiter = RateLimiter(self.config.read_rate_limit)
        self._codes: dict[str, tuple[str, int]] = {}
        self._codes_lock = threading.Lock()
        self.relayer: Relayer | None = None
        self.journal: Journal | None = None
        if self.operator is not None:
            self.journal = Journal(home / "service" / f"{chain_id}-requests.sqlite")
            sender = Sender(self.w3, self.operator, timeout=self.config.receipt_timeout)
            self.relayer = Relayer(
                self.w3, self.c, sender, self.journal, rpc_url=self.rpc_url,
                receipt_timeout=self.config.receipt_timeout, on_mined=self._mined,
            )  # fmt: skip
        self.started = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, *, sync_timeout: float = 600.0) -> None:
        """Start following and return once the index has the chain's head (the API never
        starts on an empty or stale index), then start the relayer."""
        self.follower.start()
        if not self.follower.wait_synced(timeout=sync_timeout):
            status = self.follower.status()
            raise TierchainError(
                f"the index did not catch up with the chain within {sync_timeout:.0f} s (at block "
                f"{status.indexed_block}, head {status.head_block}; {status.last_error or 'no error'})"
            )
        if self.relayer is not None:
            self.relayer.start()
        self.started = True

    def stop(self) -> None:
        if self.relayer is not None:
            self.relayer.stop()
        self.follower.stop()
        self.readers.close()
        self.offers.close()
        if self.journal is not None:
            self.journal.close()

    def _mined(self, block: int) -> None:
        """The relayer saw ``block`` mined (the follower picks it up at its next poll)."""

    # -- helpers --------------------------------------------------------------------------------

    def index(self) -> ix.Index:
        return self.readers.get()

    def lag(self) -> Any:
        return self.follower.status()

    def chain_time(self, index: ix.Index | None = None) -> int:
        """The chain's time as the index last saw it (the latest indexed block)."""
        cur = (index or self.index()).cursor()
        return cur.timestamp if cur is not None else int(time.time())

    def currency(self, address: str) -> tuple[str, int]:
        """(code, decimals) of a currency token, read once."""
        key = to_checksum_address(address)
        with self._codes_lock:
            known = self._codes.get(key)
        if known is not None:
            return known
        from tierchain.clients.contracts import StableClient

        client = StableClient(self.w3, key)
        try:
            found = (client.symbol(), client.decimals())
        except Exception:
            found = (key[:10], 2)
        with self._codes_lock:
            self._codes[key] = found
        return found

    def code(self, address: str) -> str:
        return self.currency(address)[0]


__all__ = ["CENTS_DECIMALS", "RateLimiter", "Service", "ServiceConfig", "money"]
