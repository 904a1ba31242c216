"""JSON for JavaScript readers: integers JavaScript cannot hold exactly become decimal strings.

``JSON.parse`` reads every number as an IEEE double: above 2^53 - 1 digits are lost (a token id
``…636098`` reads back as ``…668800``). Documents meant for a browser, a wallet or any
JavaScript reader pass through :func:`js_safe` before ``json.dumps``.
"""

from __future__ import annotations

from typing import Any, Final

MAX_SAFE_INTEGER: Final = 2**53 - 1


def js_safe(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, tuples, scalars) with every integer outside
    JavaScript's safe range as a decimal string (booleans stay booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value) if abs(value) > MAX_SAFE_INTEGER else value
    if isinstance(value, dict):
        return {k: js_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [js_safe(v) for v in value]
    return value


__all__ = ["MAX_SAFE_INTEGER", "js_safe"]
