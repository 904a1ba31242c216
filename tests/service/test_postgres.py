"""The service on a PostgreSQL index (`tierchain serve --db postgresql://…`): the follower elected
writer, the read API and the relayer as on SQLite. The server is the test session's own
(initdb + pg_ctl in a temporary folder, tests/python/index/pg.py); skipped when PostgreSQL is
not installed (the Makefile installs it)."""

from __future__ import annotations

from typing import Any

from service_helpers import Cast, fresh_keys, sign_typed, start_service, stop_service, wait_indexed, wait_status

from tests.python.index.pg import PgServer, pg_server  # noqa: F401  (the session fixture)
from tierchain.core.ids import Role
from tierchain.service.core import ServiceConfig


def test_read_api_and_relay_on_postgresql(cast: Cast, pg_server: PgServer, keys: list[Any], tmp_path: Any) -> None:  # noqa: F811
    url = pg_server.new_database("service")
    (member,) = fresh_keys(1, "postgres")
    cast.c.membership.admit(cast.operator, member.address, Role.SUPPLIER, b"\x05" * 32)
    payable_id, first = cast.issue(member.address)
    config = ServiceConfig(poll_seconds=0.1, receipt_timeout=30)
    r = start_service(cast, operator=keys[13], home=tmp_path, config=config, db=url)
    try:
        health = r.http.get("/api/v1/health").json()
        assert health["index"]["db_kind"] == "postgresql" and health["index"]["is_writer"] is True
        wait_indexed(r.http, cast.w3.eth.block_number)
        pending = r.http.get(f"/api/v1/members/{member.address}/pending-payables").json()["items"]
        assert [p["payable_id"] for p in pending] == [str(payable_id)]
        draft = r.http.post("/api/v1/requests/draft", json={"kind": "accept", "signer": member.address,
                                                            "payable": str(payable_id)}).json()  # fmt: skip
        typed = draft["typed_data"]
        posted = r.http.post("/api/v1/requests", json={"typed_data": typed, "signature": sign_typed(member, typed)})
        assert posted.status_code == 202, posted.text
        done = wait_status(r.http, posted.json()["id"])
        assert done["status"] == "confirmed"
        wait_indexed(r.http, done["block_number"])
        pieces = r.http.get(f"/api/v1/members/{member.address}/pieces").json()
        assert [p["token_id"] for p in pieces["items"]] == [str(first)] and pieces["count"] == 1
        assert pieces["total"][0]["amount"] == "10000.00"
        detail = r.http.get(f"/api/v1/pieces/P{payable_id}%231").json()
        assert detail["payable"]["status"] == "accepted" and detail["piece"]["owner"] == member.address
        history = r.http.get(f"/api/v1/members/{member.address}/history").json()["items"]
        assert history, "the acceptance is in the member's history"
    finally:
        stop_service(r)
