"""Register tierchain's local chains in brownie's network list (~/.brownie/network-config.yaml).

Brownie keeps its network list in the user's home, not in the project, so the set-up step runs
this script; it is idempotent and rewrites only our two entries.

- tierchain-ganache: Ganache 7.9.2, hardfork shanghai (the required chain for tests)
- tierchain-anvil:   Anvil, hardfork shanghai (gas identical to Ganache for the same bytecode)

Both bind to ports of their own so they never collide with a chain a user already runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import brownie._config as brownie_config  # noqa: F401  (creates ~/.brownie on first import)
import yaml

CONFIG = Path.home() / ".brownie" / "network-config.yaml"
MNEMONIC = "test test test test test test test test test test test junk"
NETWORKS: list[dict[str, Any]] = [
    {
        "name": "tierchain Ganache (shanghai)",
        "id": "tierchain-ganache",
        "cmd": "ganache",
        "host": "http://127.0.0.1",
        "timeout": 120,
        "cmd_settings": {
            "port": 8555,
            "gas_limit": 30000000,
            "accounts": 20,
            "evm_version": "shanghai",
            "mnemonic": MNEMONIC,
            "chain_id": 1337,
            "default_balance": 10000,
        },
    },
    {
        "name": "tierchain Anvil (shanghai)",
        "id": "tierchain-anvil",
        "cmd": "anvil",
        "host": "http://127.0.0.1",
        "timeout": 120,
        "cmd_settings": {
            "port": 8556,
            "gas_limit": 30000000,
            "accounts": 20,
            "evm_version": "shanghai",
            "mnemonic": MNEMONIC,
            "chain_id": 31337,
            "default_balance": 10000,
        },
    },
]


def main() -> None:
    data = yaml.safe_load(CONFIG.read_text())
    dev: list[dict[str, Any]] = data.setdefault("development", [])
    ours = {n["id"] for n in NETWORKS}
    dev[:] = [n for n in dev if n.get("id") not in ours] + NETWORKS
    CONFIG.write_text(yaml.safe_dump(data, sort_keys=False))
    print(f"brownie networks: {', '.join(sorted(ours))} registered in {CONFIG}")


if __name__ == "__main__":
    main()
