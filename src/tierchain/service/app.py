"""The HTTP layer of ``tierchain serve`` (FastAPI on Starlette; see docs/API.md).

Routes parse and validate, call the library, and render JSON; every refusal is an
``{"error": {"code", "message", "details"}}`` with a 4xx status. A pure ASGI guard in front of
the app limits body sizes, checks content types, rate-limits client addresses and adds the lag
and security headers to every response.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any, Final, Literal

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from tierchain.audit import index as ix
from tierchain.clients.desk import parse_typed_data as parse_offer_typed_data
from tierchain.clients.requests import (
    Facts,
    SignedRequest,
    attach_signature,
    build_request,
    direct_tx,
    is_strict_address,
    parse_typed_data,
    summary,
    take_offer_data,
)
from tierchain.clients.requests import (
    Request as SignedKind,
)
from tierchain.core.errors import ContractRevert, SignatureError, TierchainError, UsageError
from tierchain.core.ids import Role, short_id
from tierchain.core.money import parse_cents
from tierchain.service import reads
from tierchain.service.core import Service, money
from tierchain.service.offers import OfferProblemError, problem_with, recover_financier
from tierchain.service.relayer import Entry, error_json

API: Final = "/api/v1"
VERSION: Final = "1.0.0"
log = logging.getLogger("tierchain.service")

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HOLDER_ROLES: Final = Role.CORE_ENTERPRISE | Role.SUPPLIER | Role.FINANCIER | Role.GUARANTOR


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details or {}}}, status_code=status, headers=headers
    )


# ---------------------------------------------------------------------------- bodies


class DraftBody(BaseModel):
    """What to sign: the kind and its fields (see docs/API.md)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["accept", "split", "move", "transfer", "take", "claim"]
    signer: str = Field(description="the member who will sign (0x address, EIP-55 if mixed case)")
    payable: str | None = Field(None, description="payable id, decimal (accept)")
    piece: str | None = Field(None, description="token id (decimal) or short id P1#2 (split, move, transfer, claim)")
    to: str | None = Field(None, description="receiving member (split, transfer)")
    to_piece: str | None = Field(None, description="receiving piece (move)")
    value: str | None = Field(None, description="amount in currency units, e.g. 3000.00 (split, move)")
    offer: str | None = Field(None, description="offer hash from the offer book (take)")
    valid_for: int = Field(3600, ge=60, le=30 * 86_400, description="seconds from the latest block to the deadline")


class SignedBody(BaseModel):
    """A signed EIP-712 document: the typed data exactly as signed, and the 65-byte signature."""

    model_config = ConfigDict(extra="forbid", strict=True)

    typed_data: dict[str, Any]
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


Limit = Annotated[int, Query(ge=1, le=reads.MAX_LIMIT, description="items per page")]
CursorQ = Annotated[str | None, Query(max_length=64, description="next_cursor of the previous page")]


# ---------------------------------------------------------------------------- the guard


class Guard:
    """Pure ASGI middleware: body limit, JSON content type on POST, per-client rate limit,
    lag and security headers on every response."""

    def __init__(self, app: Any, get_service: Callable[[], Service | None], max_body: int) -> None:
        self.app = app
        self.get_service = get_service
        self.max_body = max_body
        # Index reads answered once per indexed block: (path, query, block) -> (status headers, body).
        self.cache: OrderedDict[tuple[str, bytes, int], tuple[list[Any], bytes]] = OrderedDict()
        self.cache_size = 2048

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        svc = self.get_service()
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}

        async def reply(resp: JSONResponse) -> None:
            await self._send_with_headers(resp, scope, receive, send, svc, path)

        if svc is not None:
            client = (scope.get("client") or ("?", 0))[0]
            wait = svc.client_limiter.hit(str(client))
            if wait is not None:
                await reply(_error(429, "TooManyRequests", "too many requests from this address; slow down",
                                   {"retry_after": int(wait) + 1}, {"Retry-After": str(int(wait) + 1)}))  # fmt: skip
                return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
                await reply(_error(413, "BodyTooLarge", f"the body exceeds {self.max_body} bytes"))
                return
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if path.startswith(API) and ctype != "application/json":
                await reply(_error(415, "UnsupportedMediaType", "send the body as application/json"))
                return
            body = b""
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_body:
                    await reply(_error(413, "BodyTooLarge", f"the body exceeds {self.max_body} bytes"))
                    return
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay
        elif scope["method"] == "GET" and svc is not None and svc.config.read_cache and _cacheable(path):
            await self._cached(scope, receive, send, svc, path)
            return
        await self.app(scope, receive, self._decorate(send, svc, path))

    async def _cached(self, scope: Any, receive: Any, send: Any, svc: Service, path: str) -> None:
        """Index reads change only when the index takes a block: the rendered answer is kept per
        (path, query, indexed block) and served again until the next block is indexed."""
        block = svc.lag().indexed_block
        key = (path, bytes(scope.get("query_string", b"")), int(block if block is not None else -1))
        hit = self.cache.get(key)
        decorated = self._decorate(send, svc, path)
        if hit is not None:
            headers, body = hit
            await decorated({"type": "http.response.start", "status": 200, "headers": list(headers)})
            await decorated({"type": "http.response.body", "body": body, "more_body": False})
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                start["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
            await decorated(message)

        await self.app(scope, receive, capture)
        if start.get("status") == 200:
            self.cache[key] = (start["headers"], b"".join(chunks))
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)

    def _decorate(self, send: Any, svc: Service | None, path: str) -> Callable[[Any], Awaitable[None]]:
        async def wrapped(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                for k, v in _extra_headers(svc, path):
                    raw.append((k.encode("latin-1"), v.encode("latin-1")))
                message["headers"] = raw
            await send(message)

        return wrapped

    async def _send_with_headers(self, resp: JSONResponse, scope: Any, receive: Any, send: Any,
                                 svc: Service | None, path: str) -> None:  # fmt: skip
        await resp(scope, receive, self._decorate(send, svc, path))


def _cacheable(path: str) -> bool:
    """Reads that depend on the index (and the chain at the indexed block) only: not health, not
    a member's nonce, request states or the offer book (they change between blocks)."""
    if not path.startswith(API + "/"):
        return False
    parts = path[len(API) + 1 :].split("/")
    return (parts[0] == "members" and len(parts) == 3 and parts[2] in ("pieces", "pending-payables", "history")) or (
        parts[0] in ("pieces", "payables") and len(parts) == 2
    )


def _extra_headers(svc: Service | None, path: str) -> list[tuple[str, str]]:
    out = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", CSP),
        ("cache-control", "no-store") if path.startswith(API) else ("cache-control", "no-cache"),
    ]
    if svc is not None:
        st = svc.lag()
        out += [
            ("x-tierchain-head-block", "" if st.head_block is None else str(st.head_block)),
            ("x-tierchain-indexed-block", "" if st.indexed_block is None else str(st.indexed_block)),
            ("x-tierchain-lag-blocks", "" if st.lag_blocks is None else str(st.lag_blocks)),
        ]
    return out


# ---------------------------------------------------------------------------- parsing helpers


def _address(text: str, field: str) -> str:
    if not isinstance(text, str) or not is_strict_address(text):
        raise ApiError(400, "InvalidField", f"{field}: not an address (0x and 40 hex digits, EIP-55 checksum "
                       f"if mixed case): {text!r}", {"field": field})  # fmt: skip
    return to_checksum_address(text)


def _uint_text(text: str, field: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 78:
        raise ApiError(400, "InvalidField", f"{field}: not a decimal number: {text!r}", {"field": field})
    return int(text)


def _piece_id(svc: Service, ref: str, field: str = "piece") -> int:
    try:
        token_id = ix.resolve_piece(svc.index(), ref)
    except ix.NotIndexedError as exc:
        raise ApiError(404, "NotFound", str(exc), {"field": field}) from None
    except UsageError as exc:
        raise ApiError(400, "InvalidField", str(exc), {"field": field}) from None
    if not 0 < token_id < 2**256:
        raise ApiError(400, "InvalidField", f"{field}: out of range", {"field": field})
    return token_id


def _piece(svc: Service, token_id: int, field: str = "piece") -> ix.PieceRecord:
    try:
        return ix.piece(svc.index(), token_id)
    except ix.NotIndexedError as exc:
        raise ApiError(404, "NotFound", str(exc), {"field": field}) from None


def _payable(svc: Service, payable_id: int) -> ix.PayableRecord:
    try:
        return ix.payable(svc.index(), payable_id)
    except ix.NotIndexedError as exc:
        raise ApiError(404, "NotFound", str(exc), {"field": "payable"}) from None


def _offset(cursor: str | None) -> int:
    try:
        return reads.decode_cursor(cursor)
    except reads.BadCursorError as exc:
        raise ApiError(400, "InvalidField", str(exc), {"field": "cursor"}) from None


def _entry_json(e: Entry) -> dict[str, Any]:
    r = e.signed.request
    out: dict[str, Any] = {
        "id": e.id,
        "status": e.state,
        "kind": r.PRIMARY_TYPE,
        "signer": r.signer,
        "nonce": str(r.nonce),
        "deadline": str(r.deadline),
        "tx_hash": e.tx.tx_hash if e.tx is not None else None,
        "operator_nonce": e.tx.nonce if e.tx is not None else None,
        "block_number": None,
        "gas_used": None,
        "result": {},
        "error": e.error,
    }
    if e.receipt:
        out["block_number"] = e.receipt.get("block_number")
        out["gas_used"] = e.receipt.get("gas_used")
        if "new_token_id" in e.receipt:
            out["result"] = {"new_token_id": e.receipt["new_token_id"]}
    return out


# ---------------------------------------------------------------------------- the app


def create_app(service: Service | None = None, *, allow_origins: tuple[str, ...] = (),
               max_body: int | None = None) -> FastAPI:  # fmt: skip
    """The ASGI app over ``service`` (None: routes only, e.g. to write the OpenAPI document)."""
    app = FastAPI(
        title="tierchain",
        version=VERSION,
        summary="Supply-chain finance on EVM chains: read API, relayer for signed requests, offer book.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.service = service

    def svc() -> Service:
        s: Service | None = app.state.service
        if s is None:
            raise ApiError(503, "NotReady", "the service is not connected to a chain")
        return s

    # -- errors ---------------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"Retry-After": str(exc.details["retry_after"])} if "retry_after" in exc.details else None
        return _error(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return _error(400, "BadJson", "the body is not valid JSON", {"position": str(first.get("ctx", {}))})
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return _error(400, "InvalidField", f"{field or 'body'}: {first.get('msg', 'invalid')}",
                      {"field": field, "problems": [
                          {"field": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg"))}
                          for e in errors[:10]]})  # fmt: skip

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HttpError")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(ContractRevert)
    async def _revert(_: Request, exc: ContractRevert) -> JSONResponse:
        doc = error_json(exc)
        return _error(422, doc["code"], doc["message"], doc["details"])

    @app.exception_handler(TierchainError)
    async def _tierchain(_: Request, exc: TierchainError) -> JSONResponse:
        if isinstance(exc, UsageError):
            return _error(400, "InvalidField", str(exc))
        return _error(502, type(exc).__name__, str(exc)[:500])

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # The node unreachable (an RPC outage) or a bug: say which, never a stack trace.
        name = type(exc).__name__
        if "Connection" in name or "Timeout" in name or isinstance(exc, OSError):
            return _error(503, "NodeUnavailable", "the chain's JSON-RPC node does not answer; try again shortly",
                          headers={"Retry-After": "2"})  # fmt: skip
        log.exception("unexpected error")
        return _error(500, "Internal", f"unexpected {name}; the service log has the details")

    # -- reads ----------------------------------------------------------------------------------

    @app.get(f"{API}/health", tags=["read"])
    def health() -> JSONResponse:
        """Lag of the index, the operator's balance and the relay queue."""
        s = svc()
        st = s.lag()
        status = "ok" if st.last_error is None else "degraded"
        operator: dict[str, Any] | None = None
        if s.relayer is not None:
            address = s.relayer.sender.address
            try:
                balance: int | None = int(s.w3.eth.get_balance(address))
            except Exception:
                balance, status = None, "degraded"
            low = balance is not None and balance < s.config.min_balance_wei
            warning = (f"the operator's balance is below {money(s.config.min_balance_wei, 'ETH', 18)['amount']} ETH: "
                       "top it up or relaying stops") if low else None  # fmt: skip
            if low and status == "ok":
                status = "warning"
            operator = {
                "address": address,
                "balance": None if balance is None else money(balance, "ETH", 18),
                "min_balance": money(s.config.min_balance_wei, "ETH", 18),
                "warning": warning,
                "last_error": s.relayer.stats.last_error,
            }
        return JSONResponse(
            {
                "status": status,
                "chain_id": s.deployment.chain_id,
                "head_block": st.head_block,
                "indexed_block": st.indexed_block,
                "lag_blocks": st.lag_blocks,
                "index": {"db_kind": st.db_kind, "is_writer": st.is_writer, "last_error": st.last_error},
                "operator": operator,
                "queue": s.relayer.counts() if s.relayer is not None else None,
            }
        )

    @app.get(f"{API}/deployment", tags=["read"])
    def deployment() -> JSONResponse:
        """Chain id, contract addresses, the currency and both EIP-712 domains (ERC-5267)."""
        s = svc()
        d = s.deployment
        code, decimals = s.currency(d.currency)
        desk = dict(s.desk_domain)
        desk["chainId"] = str(desk["chainId"])
        return JSONResponse(
            {
                "chain_id": d.chain_id,
                "contracts": {
                    n: getattr(d, n)
                    for n in ("membership", "registry", "token", "relay", "desk", "settlement", "currency")
                },
                "currency": {"address": d.currency, "code": code, "decimals": 2, "token_decimals": decimals},
                "min_piece": money(d.min_piece_cents, code),
                "eip712": {"relay": s.relay_domain.to_eip712(json_safe=True), "desk": desk},
            }
        )

    @app.get(f"{API}/members/{{address}}", tags=["read"])
    def member(address: str) -> JSONResponse:
        """Membership, roles and the relay nonce the member's next signed request carries."""
        s = svc()
        who = _address(address, "address")
        info = s.c.membership.member_of(who)
        pending = s.relayer.pending_of(who) if s.relayer is not None else 0
        return JSONResponse(
            {
                "address": who,
                "member": info.status != "none",
                "status": info.status,
                "roles": reads.role_names(int(info.roles)),
                "roles_mask": int(info.roles),
                "frozen": info.frozen,
                "relay_nonce": str(s.c.relay.nonce_of(who) + pending),
                "pending_requests": pending,
            }
        )

    @app.get(f"{API}/members/{{address}}/pieces", tags=["read"])
    def member_pieces(address: str, limit: Limit = reads.DEFAULT_LIMIT, cursor: CursorQ = None) -> JSONResponse:
        """The member's live pieces: value, payable, debtor, maturity, state, owed now, claimable."""
        return JSONResponse(reads.member_pieces(svc(), _address(address, "address"), _offset(cursor), limit))

    @app.get(f"{API}/members/{{address}}/pending-payables", tags=["read"])
    def member_pending(address: str, limit: Limit = reads.DEFAULT_LIMIT, cursor: CursorQ = None) -> JSONResponse:
        """Payables issued to the member and waiting for its acceptance."""
        return JSONResponse(reads.pending_payables(svc(), _address(address, "address"), _offset(cursor), limit))

    @app.get(f"{API}/members/{{address}}/history", tags=["read"])
    def member_history(address: str, limit: Limit = reads.DEFAULT_LIMIT, cursor: CursorQ = None) -> JSONResponse:
        """Splits, transfers, financings and claims touching the member, in chain order."""
        return JSONResponse(reads.member_history(svc(), _address(address, "address"), _offset(cursor), limit))

    @app.get(f"{API}/pieces/{{piece_id}}", tags=["read"])
    def piece(piece_id: str) -> JSONResponse:
        """A piece with its provenance (ancestors to the package, descendants) and settlement."""
        s = svc()
        token_id = _piece_id(s, piece_id)
        try:
            return JSONResponse(reads.piece_detail(s, str(token_id)))
        except ix.NotIndexedError as exc:
            raise ApiError(404, "NotFound", str(exc)) from None

    @app.get(f"{API}/payables/{{payable_id}}", tags=["read"])
    def payable(payable_id: str, limit: Limit = reads.DEFAULT_LIMIT, cursor: CursorQ = None) -> JSONResponse:
        """A payable and its pieces (paginated), with its settlement state."""
        s = svc()
        pid = _uint_text(payable_id, "payable_id")
        _payable(s, pid)
        return JSONResponse(reads.payable_with_pieces(s, pid, _offset(cursor), limit))

    @app.get(f"{API}/pieces/{{piece_id}}/offers", tags=["offers"])
    def piece_offers(piece_id: str, limit: Limit = reads.DEFAULT_LIMIT, cursor: CursorQ = None) -> JSONResponse:
        """Live desk offers on a piece."""
        s = svc()
        token_id = _piece_id(s, piece_id)
        _piece(s, token_id)
        index = s.index()
        live = s.offers.live(s.offers.on_piece(token_id), index, s.chain_time(index))
        chunk, nxt = reads.page(live, _offset(cursor), limit)
        return JSONResponse(
            {"items": [_offer_json(s, o.offer, o.hash, o.signature) for o in chunk], "next_cursor": nxt}
        )

    # -- offers ---------------------------------------------------------------------------------

    def _offer_json(s: Service, offer: Any, digest: bytes, signature: bytes) -> dict[str, Any]:
        code = ""
        try:
            p = ix.piece(s.index(), offer.token_id)
            pay = ix.payable(s.index(), p.payable_id)
            code = s.code(pay.currency)
        except ix.NotIndexedError:
            pass
        from tierchain.clients.desk import typed_data as offer_typed_data

        return {
            "offer_hash": "0x" + digest.hex(),
            "financier": offer.financier,
            "seller": offer.seller,
            "token_id": str(offer.token_id),
            "short_id": short_id(offer.token_id),
            "value": money(offer.value, code),
            "pricing": offer.pricing,
            "price": money(offer.price, code) if offer.pricing == "fixed" else None,
            "rate_bps": offer.rate_bps,
            "price_now": money(offer.price_at(s.chain_time()), code),
            "recourse": offer.recourse,
            "nonce": str(offer.nonce),
            "deadline": str(offer.deadline),
            "typed_data": offer_typed_data(offer, s.deployment.chain_id, s.deployment.desk),
            "signature": "0x" + signature.hex(),
        }

    @app.post(f"{API}/offers", tags=["offers"], status_code=201)
    def post_offer(body: SignedBody) -> JSONResponse:
        """A financier posts a desk offer it signed; it is checked and kept in the book."""
        s = svc()
        try:
            offer, chain_id, desk = parse_offer_typed_data(body.typed_data)
        except UsageError as exc:
            raise ApiError(400, "InvalidField", str(exc), {"field": "typed_data"}) from None
        if chain_id != s.deployment.chain_id or desk != s.deployment.desk:
            raise ApiError(400, "WrongDomain", f"the offer is for desk {desk} on chain {chain_id}, not this "
                           f"deployment's desk {s.deployment.desk} on chain {s.deployment.chain_id}")  # fmt: skip
        sig = bytes.fromhex(body.signature[2:])
        try:
            signer = recover_financier(offer, chain_id, desk, sig)
        except OfferProblemError as p:
            raise ApiError(p.status, p.code, p.message) from None
        if signer != offer.financier:
            raise ApiError(400, "BadSignature", f"the signature is {signer}'s, not the financier {offer.financier}'s")
        wait = s.signer_limiter.hit(offer.financier)
        if wait is not None:
            raise ApiError(429, "TooManyRequests", "too many offers from this financier",
                           {"retry_after": int(wait) + 1})  # fmt: skip
        info = s.c.membership.member_of(offer.financier)
        if info.status != "active" or info.frozen:
            raise ApiError(403, "NotMember", f"{offer.financier} is not an active member ({info.status})")
        if not info.roles & Role.FINANCIER:
            raise ApiError(403, "MissingRole", f"{offer.financier} does not have the financier role")
        index = s.index()
        try:
            piece_rec: ix.PieceRecord | None = ix.piece(index, offer.token_id)
        except ix.NotIndexedError:
            piece_rec = None
        problem = problem_with(offer, piece_rec, s.chain_time(index))
        if problem is not None:
            raise ApiError(problem.status, problem.code, problem.message)
        digest, created = s.offers.add(offer, sig)
        entry = s.offers.get("0x" + digest.hex())
        assert entry is not None
        chain_problem = s.offers.chain_problem(entry)
        if chain_problem is not None:
            s.offers.remove(digest, chain_problem.code)
            raise ApiError(409, chain_problem.code, chain_problem.message)
        return JSONResponse(_offer_json(s, offer, digest, sig), status_code=201 if created else 200)

    @app.get(f"{API}/offers/{{offer_hash}}", tags=["offers"])
    def get_offer(offer_hash: str) -> JSONResponse:
        """One offer of the book, with whether it is still live."""
        s = svc()
        if len(offer_hash) != 66 or not offer_hash.startswith("0x"):
            raise ApiError(400, "InvalidField", "offer_hash: 0x and 64 hex digits", {"field": "offer_hash"})
        entry = s.offers.get(offer_hash)
        if entry is None:
            raise ApiError(404, "NotFound", f"no offer {offer_hash} in the book")
        index = s.index()
        live = bool(s.offers.live([entry], index, s.chain_time(index)))
        return JSONResponse(_offer_json(s, entry.offer, entry.hash, entry.signature) | {"live": live})

    # -- signed requests ------------------------------------------------------------------------

    @app.post(f"{API}/requests/draft", tags=["requests"])
    def draft(body: DraftBody) -> JSONResponse:
        """The EIP-712 typed data to sign (eth_signTypedData_v4), a summary and a direct tx."""
        s = svc()
        signer = _address(body.signer, "signer")
        index = s.index()
        pending = s.relayer.pending_of(signer) if s.relayer is not None else 0
        nonce = s.c.relay.nonce_of(signer) + pending
        head = s.w3.eth.get_block("latest")
        deadline = int(head["timestamp"]) + body.valid_for
        facts: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}

        def need(name: str) -> str:
            value = getattr(body, name)
            if value is None:
                raise ApiError(400, "InvalidField", f"{body.kind} needs {name}", {"field": name})
            return str(value)

        def cents(name: str) -> int:
            try:
                return parse_cents(need(name), name=name)
            except UsageError as exc:
                raise ApiError(400, "InvalidField", str(exc), {"field": name}) from None

        def payable_facts(pid: int) -> None:
            pay = _payable(s, pid)
            facts.update(payable_id=pid, debtor=pay.debtor, maturity_at=pay.maturity_at,
                         currency=s.code(pay.currency))  # fmt: skip

        if body.kind == "accept":
            pid = _uint_text(need("payable"), "payable")
            pay = _payable(s, pid)
            payable_facts(pid)
            facts["amount_cents"] = pay.face_value
            kwargs["payable_id"] = pid
        else:
            if body.kind == "take":
                digest = need("offer")
                entry = s.offers.get(digest)
                if entry is None or not s.offers.live([entry], index, s.chain_time(index)):
                    raise ApiError(404, "NotFound", f"no live offer {digest} in the book", {"field": "offer"})
                token_id = entry.offer.token_id
                kwargs["take_call_data"] = take_offer_data(entry.offer.as_tuple(), entry.signature)
                facts.update(amount_cents=entry.offer.value, price_cents=entry.offer.price_at(deadline),
                             counterparty=entry.offer.financier)  # fmt: skip
            else:
                token_id = _piece_id(s, need("piece"))
            rec = _piece(s, token_id)
            if rec.burned:
                raise ApiError(409, "PieceGone", f"piece {rec.short_id} was merged or settled", {"field": "piece"})
            payable_facts(rec.payable_id)
            facts["piece"] = rec.short_id
            kwargs["token_id"] = token_id
            if body.kind in ("split", "transfer"):
                kwargs["to"] = _address(need("to"), "to")
            if body.kind in ("split", "move"):
                kwargs["value"] = cents("value")
                if kwargs["value"] > rec.value:
                    raise ApiError(400, "InvalidField", f"value {kwargs['value']} cents exceeds piece {rec.short_id}'s "
                                   f"{rec.value}", {"field": "value"})  # fmt: skip
            if body.kind == "move":
                to_id = _piece_id(s, need("to_piece"), "to_piece")
                facts["to_piece"] = _piece(s, to_id, "to_piece").short_id
                kwargs["to_token_id"] = to_id
            if body.kind == "transfer":
                facts["amount_cents"] = rec.value
            if body.kind == "claim":
                claim = reads.claimables(s, [rec], s.chain_time(index)).get(rec.token_id, 0)
                facts["amount_cents"] = claim
        try:
            request = build_request(body.kind, signer, nonce=nonce, deadline=deadline, addresses=s.addresses, **kwargs)
        except SignatureError as exc:
            raise ApiError(400, "InvalidField", str(exc)) from None
        to, data = direct_tx(request, s.addresses)
        return JSONResponse(
            {
                "kind": body.kind,
                "typed_data": request.typed_data(s.relay_domain, json_safe=True),
                "digest": "0x" + request.digest(s.relay_domain).hex(),
                "summary": summary(request, Facts(**facts)),
                "direct_tx": {"to": to, "data": "0x" + data.hex()},
            }
        )

    @app.post(f"{API}/requests", tags=["requests"], status_code=202)
    def relay(body: SignedBody) -> JSONResponse:
        """Relay a signed request: checked, simulated, queued, sent once by the operator."""
        s = svc()
        if s.relayer is None:
            raise ApiError(503, "NotReady", "this service runs without an operator key: it does not relay")
        try:
            request, domain = parse_typed_data(body.typed_data)
        except SignatureError as exc:
            raise ApiError(400, "InvalidField", str(exc), {"field": "typed_data"}) from None
        if domain != s.relay_domain:
            raise ApiError(400, "WrongDomain", f"signed for {domain.name!r} v{domain.version} on chain "
                           f"{domain.chain_id} at {domain.verifying_contract}; this relay is "
                           f"{s.relay_domain.verifying_contract} on chain {s.relay_domain.chain_id}")  # fmt: skip
        try:
            signed = attach_signature(request, domain, body.signature)
        except SignatureError as exc:
            raise ApiError(400, "BadSignature", str(exc), {"field": "signature"}) from None
        request_id = "0x" + request.digest(domain).hex()
        known = s.relayer.get(request_id)
        if known is not None:
            return JSONResponse(_entry_json(known), status_code=200)
        wait = s.signer_limiter.hit(request.signer)
        if wait is not None:
            raise ApiError(429, "TooManyRequests", f"too many requests signed by {request.signer}; try again later",
                           {"retry_after": int(wait) + 1})  # fmt: skip
        _check_signer(s, request)
        now = s.chain_time()  # the indexed head's time: no RPC (a deadline passing since is caught by the simulation)
        if request.deadline <= now:
            raise ApiError(400, "Expired", f"the deadline {request.deadline} has passed (chain time "
                           f"{now}): draft and sign the request again")  # fmt: skip
        chain_nonce, reverted = _nonce_and_simulation(s, signed)
        pending = s.relayer.pending_of(request.signer)
        if request.nonce < chain_nonce + pending:
            raise ApiError(409, "NonceUsed", f"nonce {request.nonce} of {request.signer} is already used "
                           f"(next: {chain_nonce + pending}): draft the request again",
                           {"next_nonce": str(chain_nonce + pending)})  # fmt: skip
        if request.nonce > chain_nonce + pending:
            raise ApiError(409, "NonceTooHigh", f"nonce {request.nonce} of {request.signer} is ahead of the next "
                           f"one, {chain_nonce + pending}", {"next_nonce": str(chain_nonce + pending)})  # fmt: skip
        gas: int | None = None
        if pending == 0 and reverted:
            try:  # the simulation reverted: run it again the slow way for the decoded error
                gas = s.relayer.sender.estimate_gas(s.c.relay.relay_request(signed))
            except ContractRevert as exc:
                doc = error_json(exc)
                raise ApiError(422, doc["code"], doc["message"], doc["details"]) from None
        relayer = s.relayer
        try:
            entry, created = relayer.submit(
                request_id, signed, gas=gas,
                # no RPC under the queue's lock: a confirmation raises the chain nonce and
                # lowers the pending count together
                expect_nonce=lambda: chain_nonce + relayer.pending_of(request.signer),
            )  # fmt: skip
        except ValueError as exc:
            raise ApiError(
                409, "NonceUsed", f"nonce {request.nonce} was taken meanwhile (next {exc.args[0]})"
            ) from None
        log.info("queued %s %s of %s", request_id[:18], request.PRIMARY_TYPE, request.signer)
        return JSONResponse(_entry_json(entry), status_code=202 if created else 200)

    @app.get(f"{API}/requests/{{request_id}}", tags=["requests"])
    def request_status(request_id: str) -> JSONResponse:
        """queued, sent (with the transaction hash), confirmed or failed (with the decoded error)."""
        s = svc()
        if len(request_id) != 66 or not request_id.startswith("0x"):
            raise ApiError(400, "InvalidField", "request id: 0x and 64 hex digits", {"field": "request_id"})
        entry = s.relayer.get(request_id.lower()) if s.relayer is not None else None
        if entry is None:
            raise ApiError(404, "NotFound", f"no request {request_id}")
        return JSONResponse(_entry_json(entry))

    # -- the browser's files ----------------------------------------------------------------------

    web = service.config.web_dir if service is not None else None
    if web is not None and web.is_dir():
        app.mount("/", StaticFiles(directory=str(web), html=True), name="web")

    origins = allow_origins or (service.config.allow_origins if service is not None else ())
    inner: Any = app
    if origins:
        inner = CORSMiddleware(app, allow_origins=list(origins), allow_methods=["GET", "POST"],
                               allow_headers=["content-type"], max_age=600)  # fmt: skip
    limit = max_body or (service.config.max_body if service is not None else 65_536)
    guard = Guard(inner, lambda: app.state.service, limit)
    app.state.guard = guard
    return app


def asgi(app: FastAPI) -> Any:
    """The app with its guard (and CORS) in front: what uvicorn serves."""
    return app.state.guard


def _nonce_and_simulation(s: Service, signed: SignedRequest) -> tuple[int, bool]:
    """The signer's relay nonce and whether the relay call, simulated as the operator, reverts:
    ONE JSON-RPC round trip (a batch of two eth_calls)."""
    relayer = s.relayer
    assert relayer is not None
    signer = signed.request.signer
    nonce_data = "0x" + (keccak(text="nonces(address)")[:4] + bytes(12) + bytes.fromhex(signer[2:])).hex()
    req = s.c.relay.relay_request(signed)
    calls = [
        ("eth_call", [{"to": s.deployment.relay, "data": nonce_data}, "latest"]),
        ("eth_call", [{"from": relayer.sender.address, "to": req.to, "data": "0x" + req.data.hex()}, "latest"]),
    ]
    batch = getattr(s.w3.provider, "make_batch_request", None)
    if batch is not None:
        try:
            answers = batch(calls)
        except Exception:
            answers = None
        if isinstance(answers, list) and len(answers) == 2 and "result" in answers[0]:
            return int(str(answers[0]["result"]), 16), "result" not in answers[1]
    return s.c.relay.nonce_of(signer), True  # no batches: the simulation runs the slow way


def _member(s: Service, account: str) -> tuple[str, int, bool]:
    """(status, roles, frozen): from the index when it knows an active member (no RPC on the hot
    path; a change not yet indexed is caught by the simulation), else from the chain."""
    row = s.index().conn.execute("SELECT status, roles, frozen FROM members WHERE account = ?", (account,)).fetchone()
    if row is not None and row[0] == "active" and not row[2]:
        return str(row[0]), int(row[1]), bool(row[2])
    info = s.c.membership.member_of(account)
    return info.status, int(info.roles), info.frozen


def _check_signer(s: Service, request: SignedKind) -> None:
    status, roles, frozen = _member(s, request.signer)
    if status != "active":
        raise ApiError(403, "NotMember", f"{request.signer} is not an active member ({status}): only "
                       "members' requests are relayed")  # fmt: skip
    if frozen:
        raise ApiError(403, "NotMember", f"{request.signer} is frozen by the regulator")
    if not roles & HOLDER_ROLES:
        raise ApiError(403, "MissingRole", f"{request.signer}'s roles ({', '.join(reads.role_names(roles))}) "
                       "cannot hold or move pieces")  # fmt: skip


def openapi_json() -> str:
    """The OpenAPI document as committed in docs/openapi.json."""
    return json.dumps(create_app().openapi(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["API", "ApiError", "asgi", "create_app", "openapi_json"]
