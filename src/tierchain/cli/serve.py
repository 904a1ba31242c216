"""``tierchain serve``: the platform's HTTP service (read API, relayer, offer book, portal).

See docs/API.md. The chain is chosen as for every command (the local chain by default,
``--rpc`` otherwise; the deployment record is checked first); the operator's key comes from a
keystore (``--from`` with a password prompt or ``--password-file``), or on a local chain only
from ``--dev-account``. No key or password is ever printed or logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from tierchain.cli.common import CliState, command_options, pass_state
from tierchain.core.errors import UsageError
from tierchain.core.money import parse_units


@click.command("serve")
@command_options
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on (0.0.0.0: every interface)")
@click.option("--port", type=click.IntRange(1, 65535), default=8600, show_default=True, help="TCP port")
@click.option("--db", default=None, metavar="PATH|URL",
              help="the audit index: a SQLite file or postgresql://user@host/db (several replicas share one; "
                   "one follower writes) [default: <home>/index/<chain id>.sqlite]")  # fmt: skip
@click.option("--allow-origin", "allow_origins", multiple=True, metavar="ORIGIN",
              help="browser origin allowed by CORS (repeatable; none by default)")  # fmt: skip
@click.option("--max-body", type=click.IntRange(1024, 10_000_000), default=65_536, show_default=True,
              help="largest request body in bytes")  # fmt: skip
@click.option("--rate-limit", type=click.IntRange(1, 100_000), default=60, show_default=True,
              help="signed requests and offers per signer per minute")  # fmt: skip
@click.option("--read-rate-limit", type=click.IntRange(1, 10_000_000), default=6_000, show_default=True,
              help="requests per client address per minute")  # fmt: skip
@click.option("--min-balance", default="0.1", show_default=True, metavar="ETH",
              help="health warns when the operator's gas balance falls below this")  # fmt: skip
@click.option("--poll", type=click.FloatRange(0.05, 60), default=0.5, show_default=True,
              help="seconds between the index follower's polls")  # fmt: skip
@click.option("--read-only", is_flag=True, help="no operator key: serve reads and the offer book, relay nothing")
@click.option("--write-openapi", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="write the OpenAPI document to this file and exit (no chain needed)")  # fmt: skip
@pass_state
def serve(
    state: CliState, host: str, port: int, db: str | None, allow_origins: tuple[str, ...], max_body: int,
    rate_limit: int, read_rate_limit: int, min_balance: str, poll: float, read_only: bool,
    write_openapi: Path | None,
) -> None:  # fmt: skip
    """Run the HTTP service: read API over the index, relayer for members' signed requests
    (the operator pays the gas), the offer book and the portal, on one port."""
    if write_openapi is not None:
        from tierchain.service.app import openapi_json

        write_openapi.write_text(openapi_json())
        click.echo(f"OpenAPI document written to {write_openapi}")
        return
    import uvicorn

    from tierchain.service.app import asgi, create_app
    from tierchain.service.core import Service, ServiceConfig

    for origin in allow_origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise UsageError(f"--allow-origin: {origin!r} is not an origin like https://portal.example (no '*')")
    min_wei = parse_units(min_balance, 18, name="--min-balance", allow_zero=True)
    w3 = state.web3()
    deployment = state.deployment()  # checked: chain id, genesis, code at every address
    operator = None
    if not read_only:
        operator = state.account()  # keystore (prompt or --password-file) or --dev-account on local chains
    config = ServiceConfig(
        allow_origins=tuple(allow_origins), max_body=max_body, rate_limit=rate_limit,
        read_rate_limit=read_rate_limit, min_balance_wei=int(min_wei), poll_seconds=poll,
        receipt_timeout=state.timeout,
    )  # fmt: skip
    service = Service(w3, deployment, operator, config=config, db=db, rpc_url=state.url or "")
    del operator
    click.echo(
        f"tierchain serve: chain {deployment.chain_id} at {state.url}, index {service.db_path}, "
        f"operator {service.relayer.sender.address if service.relayer else '(read-only)'}",
        err=True,
    )
    service.start()
    st = service.lag()
    click.echo(
        f"index at block {st.indexed_block} (head {st.head_block}); listening on http://{host}:{port}/ "
        "(API under /api/v1)",
        err=True,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(service)
    try:
        uvicorn.run(asgi(app), host=host, port=port, log_level="warning", access_log=False, server_header=False)
    finally:
        service.stop()
        if state.json:
            relayed = service.relayer.stats.confirmed if service.relayer else 0
            click.echo(json.dumps({"stopped": True, "relayed": relayed}))


__all__ = ["serve"]
