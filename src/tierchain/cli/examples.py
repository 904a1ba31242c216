"""One real example per command, shown at the end of its ``--help`` (click's epilog).

One table for every command, including those of other modules, so ``tierchain X --help`` always
ends with a line that runs against the local chain of the docs/CLI.md walkthrough (development
keys: 0 admin, 1 operator, 2 core enterprise, 3..5 suppliers, 9 financier).
"""

from __future__ import annotations

from typing import Final

import click

S3: Final = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # development key 3, a supplier
S4: Final = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # development key 4
S5: Final = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"  # development key 5
OP: Final = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # development key 1, the operator

EXAMPLES: Final[dict[str, str]] = {
    "demo": "tierchain demo --invoices 200",
    "chain start": "tierchain chain start --chain anvil",
    "chain stop": "tierchain chain stop",
    "chain status": "tierchain chain status",
    "chain fund": f"tierchain chain fund {S3} --ether 10",
    "chain time": "tierchain chain time --advance 91d",
    "deploy": "tierchain deploy --dev-account 0",
    "status": f"tierchain status --from {S3}",
    "wallet create": "tierchain wallet create --password-file pw.txt",
    "wallet import": "tierchain wallet import --key-file supplier.key --password-file pw.txt",
    "wallet list": "tierchain wallet list",
    "members admit": f"tierchain members admit {S3} --role supplier --identity 91310000MA1FL0000X --dev-account 1",
    "members suspend": f'tierchain members suspend {S5} --reason "KYC expired" --dev-account 1',
    "members reinstate": f"tierchain members reinstate {S5} --dev-account 1",
    "members show": f"tierchain members show {S3}",
    "invoices package": "tierchain invoices package invoices.csv -o package.json",
    "invoices register": f"tierchain invoices register package.json --seller {S3} --dev-account 2",
    "invoices prove": "tierchain invoices prove package.json --code 3100262130 --number 00000007",
    "payables issue": (
        f"tierchain payables issue --to {S3} --amount 10000.00 --maturity 2027-03-01T00:00:00+08:00 "
        "--package package.json --dev-account 2"
    ),
    "payables accept": "tierchain payables accept P1 --dev-account 3",
    "payables split": f"tierchain payables split P1#1 --to {S4} --amount 3000.00 --dev-account 3",
    "payables transfer": f"tierchain payables transfer P1#2 --to {S5} --dev-account 4",
    "payables move": "tierchain payables move P1#1 P1#2 --amount 250.50 --dev-account 3",
    "payables merge": "tierchain payables merge P1#3 P1#2 --dev-account 5",
    "payables show": "tierchain payables show P1#2 --json",
    "payables list": "tierchain payables list --mine --dev-account 3",
    "request typed-data": (
        f"tierchain request typed-data split --from {S3} --piece P1#1 --to {S4} --amount 100.00 -o req.json"
    ),
    "request sign": "tierchain request sign req.json --dev-account 3 -o signed.json",
    "request relay": "tierchain request relay signed.json --dev-account 1",
    "trace": "tierchain trace P1#2 --package package.json --invoice 3100262130/00000007",
    "financing approve": "tierchain financing approve --dev-account 9",
    "financing offer": "tierchain financing offer P1#1 --value 200.00 --rate 6% --deadline 2d --dev-account 9",
    "financing show": "tierchain financing show offer.json",
    "financing take": "tierchain financing take offer.json --relay --typed-data-out take.json --from " + S3,
    "financing cancel": "tierchain financing cancel offer.json --dev-account 9",
    "financing invalidate-nonces": "tierchain financing invalidate-nonces 1000 --dev-account 9",
    "financing list": "tierchain financing list P1",
    "settlement approve": "tierchain settlement approve --dev-account 2",
    "settlement open": "tierchain settlement open 1 --dev-account 1",
    "settlement pay": "tierchain settlement pay 1 1000.00 --dev-account 2",
    "settlement claim": "tierchain settlement claim P1#1 --dev-account 3",
    "settlement status": "tierchain settlement status 1",
    "settlement owed": "tierchain settlement owed P1#1",
    "settlement overdue": "tierchain settlement overdue 1 --dev-account 1",
    "settlement guarantee": "tierchain settlement guarantee 1 2000.00 --dev-account 11",
    "settlement guarantor-pay": "tierchain settlement guarantor-pay 1 2000.00 --dev-account 11",
    "settlement repay-guarantor": "tierchain settlement repay-guarantor 1 2000.00 --dev-account 2",
    "settlement recourse exercise": "tierchain settlement recourse exercise P1#2 --dev-account 9",
    "settlement recourse settle": "tierchain settlement recourse settle P1#2 --dev-account 3",
    "settlement pause": "tierchain settlement pause --dev-account 1",
    "settlement resume": "tierchain settlement resume --dev-account 1",
    "index sync": "tierchain index sync",
    "index follow": "tierchain index follow --poll 2",
    "index verify": "tierchain index verify",
    "index status": "tierchain index status",
    "query piece": "tierchain query piece P1#2",
    "query payable": "tierchain query payable 1",
    "query holder": f"tierchain query holder {S3}",
    "query financings": "tierchain query financings",
    "query payments": "tierchain query payments --payable 1",
    "query settlement": "tierchain query settlement",
    "query overdue": "tierchain query overdue",
    "query totals": "tierchain query totals",
    "query freezes": "tierchain query freezes",
    "export positions": "tierchain export positions --format csv --out positions.csv",
    "export history": "tierchain export history --out history.csv",
    "export provenance": "tierchain export provenance 1 --out payable-1.svg",
    "journal list": "tierchain journal list",
    "journal show": "tierchain journal show w1",
    "journal run": "tierchain journal run lifecycle --id w1",
    "resume": "tierchain resume w1",
    "payables payout": "tierchain payables payout P1#1 --csv payouts.csv --dev-account 3",
    "settlement claim-all": "tierchain settlement claim-all 1 --dev-account 1",
    "admin status": "tierchain admin status --json",
    "admin transfer": f"tierchain admin transfer {OP} --dev-account 0",
    "admin accept": "tierchain admin accept --calldata-only --json",
    "admin calldata": 'tierchain admin calldata relay "setTargetAllowed(address,bool)" ' + OP + " true",
    "serve": "tierchain serve --dev-account 1",
}


def walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    """Every leaf command under ``group`` with its path (``"payables split"``)."""
    out: list[tuple[str, click.Command]] = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += walk(cmd, (*path, name))
        else:
            out.append((" ".join((*path, name)), cmd))
    return out


def apply_examples(group: click.Group) -> None:
    """End every command's help with its example (``\\b``: click keeps the line as written)."""
    for path, cmd in walk(group):
        example = EXAMPLES.get(path)
        if example is not None and not (cmd.epilog or "").startswith("Example"):
            cmd.epilog = f"\b\nExample:\n  {example}"
