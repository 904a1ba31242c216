"""tierchain: divisible, transferable, financeable supply-chain payables on EVM chains."""

__version__ = "0.1.0"
