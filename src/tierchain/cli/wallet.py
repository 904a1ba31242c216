"""``tierchain wallet create|import|list``: encrypted keystores (see :mod:`tierchain.chain.wallet`).

Secrets never come from a command-line value: the private key from a hidden prompt or a key
file, the password from a hidden prompt (confirmed when new) or ``--password-file``.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from tierchain.chain.wallet import (
    KeystoreEntry,
    create_account,
    import_keystore,
    import_private_key,
    keystore_dir,
    list_keystores,
    parse_private_key,
    read_key_file,
    read_password_file,
)
from tierchain.cli.common import CliState, json_option, pass_state
from tierchain.core.errors import UsageError

_password_file = click.option(
    "--password-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    envvar="TIERCHAIN_PASSWORD_FILE",
    help="file whose first line is the password [default: hidden prompt]",
)  # fmt: skip


def _password(password_file: Path | None, *, new: bool, prompt: str = "keystore password") -> str:
    if password_file is not None:
        return read_password_file(password_file)
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=new, err=True, show_default=False)
    return value


def _report(state: CliState, entry: KeystoreEntry, verb: str) -> None:
    state.emit(
        {"address": entry.address, "path": str(entry.path), "kdf": entry.kdf,
         "scrypt_n": entry.scrypt_n},
        f"{verb} {entry.address}\nkeystore {entry.path}",
    )  # fmt: skip


@click.group()
def wallet() -> None:
    """Encrypted keystores (geth/MetaMask format) under <home>/keystore."""


@wallet.command("create")
@_password_file
@json_option
@pass_state
def wallet_create(state: CliState, password_file: Path | None) -> None:
    """Create a new account and store it encrypted (scrypt)."""
    entry = create_account(_password(password_file, new=True))
    _report(state, entry, "created")


@wallet.command("import")
@click.option(
    "--key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="file holding the private key (64 hex digits) [default: hidden prompt]",
)
@click.option(
    "--keystore",
    "keystore_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="an existing keystore JSON (geth, MetaMask, eth-account)",
)
@_password_file
@json_option
@pass_state
def wallet_import(
    state: CliState, key_file: Path | None, keystore_file: Path | None, password_file: Path | None
) -> None:
    """Import a private key (hidden prompt or --key-file) or a keystore JSON (--keystore).

    A key is encrypted with a new password (prompted twice, or --password-file). A keystore
    is decrypted with its own password and stored again under the same password.
    """
    if key_file is not None and keystore_file is not None:
        raise UsageError("give either --key-file or --keystore, not both")
    if keystore_file is not None:
        password = _password(password_file, new=False, prompt="password of that keystore")
        entry = import_keystore(keystore_file, password)
    else:
        if key_file is not None:
            key = read_key_file(key_file)
        else:
            key = parse_private_key(click.prompt("private key (hidden)", hide_input=True, err=True))
        entry = import_private_key(key, _password(password_file, new=True))
        del key
    _report(state, entry, "imported")


@wallet.command("list")
@json_option
@pass_state
def wallet_list(state: CliState) -> None:
    """List the keystores."""
    entries = list_keystores()

    def human(out: Console) -> None:
        if not entries:
            out.print(f"no keystores in {keystore_dir()}: `tierchain wallet create` makes one")
            return
        table = Table(title=f"keystores in {keystore_dir()}")
        for col in ("address", "created (UTC)", "kdf", "state"):
            table.add_column(col, no_wrap=col != "state")
        for e in entries:
            kdf = f"{e.kdf} n={e.scrypt_n}" if e.scrypt_n else e.kdf
            table.add_row(e.address, e.created, kdf, f"UNUSABLE: {e.problem}" if e.problem else "ok")
        out.print(table)

    state.emit({"keystore_dir": str(keystore_dir()), "accounts": [e.to_json() for e in entries]},
               human)  # fmt: skip
