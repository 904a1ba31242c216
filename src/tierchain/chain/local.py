"""Local chains (Ganache by default, Anvil) as subprocesses, and connections to any chain.

A started chain keeps its state in a folder (Ganache ``--database.dbPath``, Anvil ``--state``)
so it survives a restart, and writes ``chain.json`` (pid, port, url) and ``chain.log`` there;
``stop`` ends only the process recorded in that file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from tierchain.chain.sender import Sender
from tierchain.core.errors import ChainError, ChainIdMismatchError, UsageError

ChainKind = Literal["ganache", "anvil"]
DEV_MNEMONIC: Final = "test test test test test test test test test test test junk"
"""The public development mnemonic of local chains. Its keys guard nothing: never use it on a
real network."""
DEV_ACCOUNTS: Final = 20
CHAIN_IDS: Final[dict[str, int]] = {"ganache": 1337, "anvil": 31337}
LOCAL_CHAIN_IDS: Final = frozenset(CHAIN_IDS.values())
DEFAULT_PORTS: Final[dict[str, int]] = {"ganache": 8545, "anvil": 8546}
HARDFORK: Final = "shanghai"
RECORD: Final = "chain.json"
LAST_PORT: Final = "last-port"
"""Kept after the chain stops or dies, so a restart reuses the port (and the URLs people noted)."""


_dev_accounts: list[LocalAccount] = []


def dev_accounts(count: int = DEV_ACCOUNTS) -> list[LocalAccount]:
    """The local chains' development accounts (m/44'/60'/0'/0/i of :data:`DEV_MNEMONIC`).

    Public test keys, derived in memory and never written anywhere: local chains only."""
    if len(_dev_accounts) < count:
        Account.enable_unaudited_hdwallet_features()
        for i in range(len(_dev_accounts), count):
            path = f"m/44'/60'/0'/0/{i}"
            _dev_accounts.append(Account.from_mnemonic(DEV_MNEMONIC, account_path=path))
    return _dev_accounts[:count]


def find_node_bin(name: str) -> Path:
    """``node_modules/.bin/<name>`` of the project: looked for above the working directory,
    then above this package."""
    for origin in (Path.cwd(), Path(__file__).resolve().parent):
        for folder in (origin, *origin.parents):
            candidate = folder / "node_modules" / ".bin" / name
            if candidate.exists():
                return candidate
    raise ChainError(
        f"{name} not found in node_modules/.bin above {Path.cwd()}: run `make setup` (npm ci) in the project root"
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chain_command(kind: ChainKind, port: int, state_dir: Path) -> list[str]:
    """The command line that starts a local chain of ``kind`` keeping state in ``state_dir``."""
    if kind == "ganache":
        return [
            str(find_node_bin("ganache")),
            "--server.host", "127.0.0.1",
            "--server.port", str(port),
            "--chain.chainId", str(CHAIN_IDS[kind]),
            "--chain.hardfork", HARDFORK,
            "--chain.vmErrorsOnRPCResponse", "true",
            "--wallet.mnemonic", DEV_MNEMONIC,
            "--wallet.totalAccounts", str(DEV_ACCOUNTS),
            "--wallet.defaultBalance", "10000",
            "--miner.blockGasLimit", "30000000",
            "--database.dbPath", str(state_dir / "ganache-db"),
            "--logging.quiet", "false",
        ]  # fmt: skip
    if kind == "anvil":
        return [
            str(find_node_bin("anvil")),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--chain-id", str(CHAIN_IDS[kind]),
            "--hardfork", HARDFORK,
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(DEV_ACCOUNTS),
            "--balance", "10000",
            "--gas-limit", "30000000",
            "--state", str(state_dir / "anvil-state.json"),
        ]  # fmt: skip
    raise ChainError(f"unknown chain kind {kind!r} (ganache or anvil)")


@dataclass(frozen=True)
class NetworkProfile:
    """How to send on a kind of network (``--profile``; documented in brownie-config.yaml)."""

    name: str
    legacy: bool  # type-0 gasPrice transactions (a zero price on fee-less PoA chains)
    confirmations: int  # blocks before a transaction counts as done (1: instant finality)
    timeout: float  # receipt wait per transaction, seconds
    description: str
    gas_price: int | None = None  # a fixed legacy gas price (0 on a fee-less PoA chain); None: the node's


NETWORK_PROFILES: Final[dict[str, NetworkProfile]] = {
    "local": NetworkProfile("local", False, 1, 120.0, "Ganache/Anvil: automine, EIP-1559 fees"),
    "testnet": NetworkProfile("testnet", False, 2, 600.0,
                              "a public testnet (e.g. Sepolia): EIP-1559 fees, reorgs possible: 2 confirmations"),
    "poa": NetworkProfile("poa", True, 1, 120.0,
                          "a permissioned proof-of-authority chain (QBFT/IBFT/Clique consortium): zero gas "
                          "price, legacy fees, instant finality", gas_price=0),
}  # fmt: skip


class FixedPriceSender(Sender):
    """A :class:`Sender` of legacy (type 0) transactions at one fixed gas price: a permissioned
    PoA chain without fees (price 0), whatever ``eth_gasPrice`` suggests."""

    def __init__(self, *args: Any, gas_price: int = 0, **kwargs: Any) -> None:
        self.gas_price = gas_price
        super().__init__(*args, **kwargs)

    def fees(self) -> dict[str, int]:
        return {"gasPrice": self.gas_price}


@dataclass(frozen=True)
class LocalChain:
    """A local chain started by tierchain."""

    kind: ChainKind
    port: int
    pid: int
    state_dir: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def rpc_chain_id(url: str, timeout: float = 2.0) -> int | None:
    """``eth_chainId`` of the node at ``url``, or None if nothing answers."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    req = urllib.request.Request(url, data=body.encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(json.loads(resp.read())["result"], 16)
    except (OSError, urllib.error.URLError, ValueError, KeyError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_chain(
    kind: ChainKind = "ganache",
    port: int | None = None,
    state_dir: Path | str = ".tierchain/chain",
    *,
    timeout: float = 60.0,
) -> LocalChain:
    """Start a local chain in the background and wait until it answers ``eth_chainId``."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    running = chain_status(state)
    if running is not None:
        raise ChainError(f"a {running.kind} chain already runs from {state} at {running.url}")
    if port is None:
        port = last_port(state) or DEFAULT_PORTS[kind]
    if rpc_chain_id(f"http://127.0.0.1:{port}", timeout=0.5) is not None:
        raise ChainError(f"port {port} is already taken by another node; pick another --port")
    cmd = chain_command(kind, port, state)
    if kind == "ganache":
        (state / "ganache-db").mkdir(exist_ok=True)
    log = (state / "chain.log").open("ab")
    try:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    finally:
        log.close()
    chain = LocalChain(kind=kind, port=port, pid=proc.pid, state_dir=str(state))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise ChainError(
                    f"{kind} exited with code {proc.returncode} while starting; "
                    f"see {state / 'chain.log'}:\n{_tail(state / 'chain.log')}"
                )
            if rpc_chain_id(chain.url, timeout=1.0) == CHAIN_IDS[kind]:
                (state / RECORD).write_text(json.dumps(asdict(chain), indent=1) + "\n")
                (state / LAST_PORT).write_text(f"{port}\n")
                return chain
            time.sleep(0.2)
    except BaseException:
        # stopped while waiting (Ctrl-C, SIGTERM turned into SystemExit, an error): the chain
        # runs in its own session and would outlive us; nobody has its record yet
        _terminate(proc.pid)
        raise
    _terminate(proc.pid)
    raise ChainError(f"{kind} did not answer at {chain.url} within {timeout:.0f} s")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _terminate(pid: int, timeout: float = 15.0) -> None:
    # SIGINT: both chains shut down cleanly on it (Anvil dumps its --state file).
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = 0 if _alive(pid) else pid
        if done == pid or not _alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _read_record(record: Path) -> LocalChain | None:
    """The chain a record file describes; None if there is none or it is unreadable."""
    if not record.is_file():
        return None
    try:
        return LocalChain(**json.loads(record.read_text()))
    except (ValueError, TypeError):
        return None


def last_port(state_dir: Path | str) -> int | None:
    """The port the chain of ``state_dir`` last ran on (also after it died or was stopped)."""
    state = Path(state_dir)
    chain = _read_record(state / RECORD)
    if chain is not None:
        return chain.port
    try:
        port = int((state / LAST_PORT).read_text().strip())
    except (OSError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def chain_status(state_dir: Path | str) -> LocalChain | None:
    """The chain recorded in ``state_dir`` if its process lives and it answers, else None."""
    chain = _read_record(Path(state_dir) / RECORD)
    if chain is None:
        return None
    if not _alive(chain.pid) or rpc_chain_id(chain.url, timeout=1.0) is None:
        return None
    return chain


def stop_chain(state_dir: Path | str) -> LocalChain | None:
    """Stop the chain recorded in ``state_dir`` (only that pid); None if none was running."""
    record = Path(state_dir) / RECORD
    chain = _read_record(record)
    if chain is None:
        record.unlink(missing_ok=True)  # an unreadable record describes nothing to stop
        return None
    was_running = _alive(chain.pid)
    if was_running:
        _terminate(chain.pid)
    record.unlink(missing_ok=True)
    return chain if was_running else None


def connect(url: str, *, expected_chain_id: int | None = None, timeout: float = 30.0) -> Web3:
    """A :class:`Web3` on ``url`` (HTTP); checks that it answers and, if given, its chain id."""
    if not url.startswith(("http://", "https://")):
        raise ChainError(f"{url!r}: only http(s) JSON-RPC URLs are supported")
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": timeout}))
    try:
        chain_id = w3.eth.chain_id
    except Exception as exc:
        raise ChainError(f"no JSON-RPC node answers at {url} ({type(exc).__name__})") from None
    if expected_chain_id is not None:
        check_chain_id(w3, expected_chain_id, chain_id)
    return w3


def check_chain_id(w3: Web3, expected: int, actual: int | None = None) -> None:
    """Raise :class:`ChainIdMismatchError` unless the chain's id is ``expected``."""
    got = w3.eth.chain_id if actual is None else actual
    if got != expected:
        raise ChainIdMismatchError(f"connected to chain id {got}, expected {expected}")


def which(name: str) -> str | None:
    """The binary on PATH or in node_modules/.bin (used by status messages)."""
    try:
        return str(find_node_bin(name))
    except ChainError:
        return shutil.which(name)


def advance_time(w3: Web3, seconds: int) -> int:
    """Move a local development chain's clock ``seconds`` forward and mine a block with the
    new time (Ganache and Anvil: ``evm_increaseTime`` + ``evm_mine``); returns its timestamp.
    Refused on chains other than the local development ids (a real chain's clock is real)."""
    chain_id = int(w3.eth.chain_id)
    if chain_id not in LOCAL_CHAIN_IDS:
        raise ChainError(f"time travel is for local development chains only (this is chain {chain_id})")
    if seconds < 0:
        raise UsageError("time only moves forward")
    w3.provider.make_request("evm_increaseTime", [int(seconds)])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    return int(w3.eth.get_block("latest")["timestamp"])


def require_local(w3: Web3, what: str) -> int:
    """The chain id, if ``w3`` is a local development chain; else :class:`ChainError`."""
    chain_id = int(w3.eth.chain_id)
    if chain_id not in LOCAL_CHAIN_IDS:
        raise ChainError(f"{what} is for local development chains only (this is chain {chain_id})")
    return chain_id


def _is_anvil(w3: Web3) -> bool:
    answer = w3.provider.make_request("web3_clientVersion", [])  # type: ignore[arg-type]
    return str(answer.get("result", "")).lower().startswith("anvil")


def _rpc(w3: Web3, method: str, params: list[object]) -> object:
    answer = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in answer:
        error = answer["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        raise ChainError(f"{method} failed: {str(message).splitlines()[0][:200]}")
    return answer.get("result")


def fund_ether(w3: Web3, address: str, wei: int) -> int:
    """Add ``wei`` to ``address``'s ether balance on a local chain (Ganache
    ``evm_setAccountBalance``, Anvil ``anvil_setBalance``); returns the new balance."""
    require_local(w3, "funding an account")
    if wei <= 0:
        raise UsageError("the amount of ether must be positive")
    target = w3.to_checksum_address(address)
    balance = int(w3.eth.get_balance(target)) + wei
    method = "anvil_setBalance" if _is_anvil(w3) else "evm_setAccountBalance"
    _rpc(w3, method, [target, hex(balance)])
    return int(w3.eth.get_balance(target))


def set_time(w3: Web3, when: int) -> int:
    """Set a local chain's clock to unix time ``when`` (forward only) and mine a block there;
    returns its timestamp (Anvil ``evm_setTime`` takes seconds, Ganache milliseconds)."""
    require_local(w3, "setting the clock")
    now = int(w3.eth.get_block("latest")["timestamp"])
    if when <= now:
        raise UsageError(f"time only moves forward: the chain is at {now}, asked for {when}")
    _rpc(w3, "evm_setTime", [when if _is_anvil(w3) else when * 1000])
    _rpc(w3, "evm_mine", [])
    return int(w3.eth.get_block("latest")["timestamp"])


@dataclass(frozen=True)
class Fork:
    """A throw-away Anvil forked from another chain (for dry runs): nothing reaches that chain."""

    url: str
    pid: int


def start_fork(url: str, *, timeout: float = 60.0) -> Fork:
    """Start Anvil forked from ``url`` at its latest block, on a free port; stop it with
    :func:`stop_fork`. Transactions sent to the fork never reach the forked chain."""
    port = free_port()
    cmd = [str(find_node_bin("anvil")), "--host", "127.0.0.1", "--port", str(port), "--fork-url", url,
           "--silent", "--no-storage-caching", "--hardfork", HARDFORK]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    fork = Fork(f"http://127.0.0.1:{port}", proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise ChainError(f"anvil could not fork {url}: {err.strip().splitlines()[-1:] or proc.returncode}")
        if rpc_chain_id(fork.url, timeout=1.0) is not None:
            return fork
        time.sleep(0.2)
    _terminate(proc.pid)
    raise ChainError(f"the anvil fork of {url} did not answer within {timeout:.0f} s")


def stop_fork(fork: Fork) -> None:
    _terminate(fork.pid)
