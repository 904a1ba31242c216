"""Decoding for the index: which contracts it follows, the decoder (the library's one
:class:`~tierchain.chain.events.EventDecoder`) and which entity an event belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from tierchain.chain.events import DecodedLog, LogDecoder
from tierchain.core.ids import split_token_id

ARTIFACT_OF: Final[dict[str, str]] = {
    "membership": "Membership",
    "registry": "InvoiceRegistry",
    "token": "PayableToken",
    "desk": "FinancingDesk",
    "settlement": "Settlement",
}
"""Deployment field → artifact of the contracts the index follows (desk and settlement when the
deployment record has them)."""


# ---------------------------------------------------------------------------- entities

_TOKEN_ID_KEYS: Final = (
    "tokenId", "_tokenId", "_fromTokenId", "fromTokenId", "_toTokenId", "toTokenId",
    "newTokenId", "pieceId",
)  # fmt: skip


def entity_of(contract: str, event: str | None, args: Mapping[str, Any]) -> str | None:
    """The entity whose derived rows an event may change (None: global or raw only).

    Membership events belong to ``member:<account>``, registry events to ``package:<root>``;
    any other event with a ``payableId`` or a non-zero token id argument to ``payable:<id>``
    (value never crosses payables, so one is enough). This rule is what makes the desk's and
    settlement's events land with their payable without knowing them in advance.
    """
    if event is None:
        return None
    if contract == "membership":
        account = args.get("account")
        return f"member:{account}" if isinstance(account, str) else None
    if contract == "registry":
        root = args.get("root")
        return f"package:{root}" if isinstance(root, str) else None
    payable = args.get("payableId")
    if isinstance(payable, int) and payable:
        return f"payable:{payable}"
    for key in _TOKEN_ID_KEYS:
        token = args.get(key)
        if isinstance(token, int) and token:
            return f"payable:{split_token_id(token).payable_id}"
    return None


__all__ = ["ARTIFACT_OF", "DecodedLog", "LogDecoder", "entity_of"]
