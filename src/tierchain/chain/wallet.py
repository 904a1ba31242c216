"""Encrypted keystores: create, import, list, unlock.

Keystores are Web3 Secret Storage v3 JSON as eth-account writes it (scrypt, n = 2**18, the
geth/MetaMask standard), one file per account named like geth's
``UTC--<ISO time>--<address>`` under ``<TIERCHAIN_HOME>/keystore/`` (folder 0700, files 0600).
Such a file imports as is into geth (``geth account import``/copy into its keystore) and
MetaMask ("Import account" → "JSON file").

Secrets never travel as command-line values: a private key is typed at a hidden prompt or read
from a file, passwords come from a prompt or a password file. Nothing here logs or prints a key,
and error messages never quote key material.

Tests may make scrypt cheap with :func:`insecure_test_kdf` (a context manager, not an
environment variable, so a deployed CLI cannot be talked into weak keystores).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from tierchain.chain.deployment import state_home
from tierchain.core.errors import WalletError

KEYSTORE_DIR: Final = "keystore"
STANDARD_SCRYPT_N: Final = 2**18
"""geth's StandardScryptN, eth-account's default: ~0.7 s and 256 MiB to unlock, on purpose."""
MIN_PASSWORD_LENGTH: Final = 8
SECP256K1_ORDER: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_FILE_RE: Final = re.compile(r"UTC--[0-9TZ.:\-]+--([0-9a-f]{40})")
_KEY_RE: Final = re.compile(r"(?:0x)?([0-9a-fA-F]{64})", re.ASCII)

_scrypt_n: int = STANDARD_SCRYPT_N


@contextmanager
def insecure_test_kdf(n: int = 2**10) -> Iterator[None]:
    """TEST ONLY: write keystores with scrypt ``n`` instead of 2**18 inside this block, so a
    test suite does not spend ~1 s per keystore. Keystores written so are weak; never use it
    outside tests."""
    global _scrypt_n
    previous, _scrypt_n = _scrypt_n, n
    try:
        yield
    finally:
        _scrypt_n = previous


@dataclass(frozen=True)
class KeystoreEntry:
    """One keystore file."""

    address: ChecksumAddress
    path: Path
    created: str  # from the file name (UTC)
    kdf: str
    scrypt_n: int | None
    problem: str | None = None
    """Why this file cannot be used (truncated, malformed): it affects only this address."""

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "path": str(self.path),
            "created": self.created,
            "kdf": self.kdf,
            "scrypt_n": self.scrypt_n,
            "problem": self.problem,
        }


# ---------------------------------------------------------------------------- files


def keystore_dir(home: Path | None = None) -> Path:
    """``<home>/keystore`` (home: ``$TIERCHAIN_HOME`` or ``./.tierchain``)."""
    return (home or state_home()) / KEYSTORE_DIR


def _private_dir(home: Path | None) -> Path:
    folder = keystore_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def keystore_filename(address: str, when_ns: int | None = None) -> str:
    """geth's name: ``UTC--2026-11-28T13-04-22.123456789Z--<40 hex, lower case>``."""
    ns = time.time_ns() if when_ns is None else when_ns
    stamp = datetime.fromtimestamp(ns // 10**9, UTC).strftime("%Y-%m-%dT%H-%M-%S")
    return f"UTC--{stamp}.{ns % 10**9:09d}Z--{address.lower().removeprefix('0x')}"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``path`` with mode 0600, atomically; never overwrite."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise WalletError(f"{path} exists already") from None
    finally:
        tmp.unlink(missing_ok=True)


def _entry(path: Path, doc: dict[str, Any]) -> KeystoreEntry:
    crypto = doc.get("crypto") or doc.get("Crypto") or {}
    kdf = str(crypto.get("kdf", "?"))
    n = crypto.get("kdfparams", {}).get("n") if kdf == "scrypt" else None
    name = path.name
    stamp = name[5 : name.rindex("--")] if name.startswith("UTC--") and "--" in name[5:] else ""
    return KeystoreEntry(
        address=to_checksum_address("0x" + str(doc["address"]).lower().removeprefix("0x")),
        path=path,
        created=stamp,
        kdf=kdf,
        scrypt_n=int(n) if n is not None else None,
    )


def _read_keystore(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise WalletError(f"{path}: not a readable keystore file ({type(exc).__name__})") from None
    if (
        not isinstance(doc, dict)
        or doc.get("version") != 3
        or not isinstance(doc.get("crypto") or doc.get("Crypto"), dict)
        or not isinstance(doc.get("address"), str)
        or not re.fullmatch(r"(0x)?[0-9a-fA-F]{40}", doc["address"])
    ):
        raise WalletError(f"{path}: not a Web3 Secret Storage v3 keystore (version 3, crypto, address)")
    _check_crypto(doc, path)
    return doc


_HEX_RE: Final = re.compile(r"(0x)?[0-9a-fA-F]+", re.ASCII)


def _check_crypto(doc: dict[str, Any], path: Path) -> None:
    """The crypto section holds what decrypting needs, with sane types (so a malformed
    parameter is one line here, not a traceback deep in the KDF)."""
    crypto = doc.get("crypto") or doc.get("Crypto") or {}
    kdf, params = crypto.get("kdf"), crypto.get("kdfparams")
    problem = None
    if kdf not in ("scrypt", "pbkdf2") or not isinstance(params, dict):
        problem = f"unsupported or missing kdf {str(kdf)[:20]!r}"
    elif kdf == "scrypt":
        n, r, p_ = params.get("n"), params.get("r"), params.get("p")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (n, r, p_)):
            problem = "scrypt parameters n, r, p must be positive whole numbers"
        elif n & (n - 1) or n < 2 or n > 2**24 or r * p_ >= 2**30:  # type: ignore[operator]
            problem = "scrypt parameter n must be a power of two (at most 2**24), r*p below 2**30"
    elif not isinstance(params.get("c"), int) or params.get("prf") != "hmac-sha256":
        problem = "pbkdf2 parameters c (a whole number) and prf hmac-sha256 are required"
    if problem is None and isinstance(params, dict):
        if not isinstance(params.get("dklen"), int) or not isinstance(params.get("salt"), str):
            problem = "kdf parameters dklen and salt are required"
        for key in ("ciphertext", "mac"):
            if not isinstance(crypto.get(key), str) or not _HEX_RE.fullmatch(crypto[key]):
                problem = problem or f"{key} is not hexadecimal"
        iv = (crypto.get("cipherparams") or {}).get("iv")
        if crypto.get("cipher") != "aes-128-ctr" or not isinstance(iv, str) or not _HEX_RE.fullmatch(iv):
            problem = problem or "cipher aes-128-ctr with a hexadecimal iv is required"
    if problem is not None:
        raise WalletError(f"{path}: malformed keystore: {problem}")


def list_keystores(home: Path | None = None) -> list[KeystoreEntry]:
    """Every keystore in the folder, oldest first (files with other names are ignored)."""
    folder = keystore_dir(home)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        match = _FILE_RE.fullmatch(path.name)
        if not path.is_file() or match is None:
            continue
        try:
            found.append(_entry(path, _read_keystore(path)))
        except WalletError as exc:  # only this file's address is affected
            found.append(_broken_entry(path, match.group(1), str(exc)))
    return found


def _broken_entry(path: Path, address_hex: str, problem: str) -> KeystoreEntry:
    name = path.name
    return KeystoreEntry(
        address=to_checksum_address("0x" + address_hex),
        path=path,
        created=name[5 : name.rindex("--")],
        kdf="?",
        scrypt_n=None,
        problem=problem.removeprefix(f"{path}: "),
    )


def find_keystore(address: str, home: Path | None = None) -> KeystoreEntry:
    """The keystore of ``address``; :class:`WalletError` if there is none."""
    wanted = address.lower().removeprefix("0x")
    matches = [e for e in list_keystores(home) if e.address.lower().removeprefix("0x") == wanted]
    for entry in matches:
        if entry.problem is None:
            return entry
    if matches:
        bad = matches[0]
        raise WalletError(f"the keystore of {bad.address} is unusable: {bad.path.name}: {bad.problem}")
    raise WalletError(
        f"no keystore for {address} in {keystore_dir(home)}: see `tierchain wallet list`, or `tierchain wallet import`"
    )


# ---------------------------------------------------------------------------- secrets


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password in a file: its first line, without the line ending."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise WalletError(f"cannot read password file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise WalletError(f"password file {path} is not UTF-8 text") from None
    password = text.split("\n", 1)[0].removesuffix("\r")
    if not password:
        raise WalletError(f"password file {path} is empty (the first line is the password)")
    return password


def check_new_password(password: str) -> None:
    """A password for a new keystore: at least :data:`MIN_PASSWORD_LENGTH` characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WalletError(f"a keystore password needs at least {MIN_PASSWORD_LENGTH} characters")


def parse_private_key(text: str) -> bytes:
    """32 bytes from 64 hex digits (optional 0x, surrounding whitespace ignored). Messages
    never quote the text."""
    match = _KEY_RE.fullmatch(text.strip())
    if match is None:
        raise WalletError("not a private key: expected 64 hexadecimal digits (optionally 0x...)")
    key = bytes.fromhex(match.group(1))
    if not 0 < int.from_bytes(key, "big") < SECP256K1_ORDER:
        raise WalletError("not a private key: outside the secp256k1 range")
    return key


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """A private key from a file holding 64 hex digits (optional 0x, one line)."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise WalletError(f"cannot read a private key from {path}") from None
    return parse_private_key(text)


# ---------------------------------------------------------------------------- create, import


def _store(key: bytes, password: str, home: Path | None) -> KeystoreEntry:
    account = Account.from_key(key)
    existing = [e for e in list_keystores(home) if e.address == account.address]
    if existing:
        raise WalletError(f"{account.address} already has a keystore: {existing[0].path}")
    doc = Account.encrypt(key, password, kdf="scrypt", iterations=_scrypt_n)
    folder = _private_dir(home)
    path = folder / keystore_filename(account.address)
    _write_private(path, json.dumps(doc).encode())
    return _entry(path, doc)


def create_account(password: str, home: Path | None = None) -> KeystoreEntry:
    """A new random key (``os.urandom`` via eth-account), stored encrypted."""
    check_new_password(password)
    return _store(bytes(Account.create().key), password, home)


def import_private_key(key: bytes, password: str, home: Path | None = None) -> KeystoreEntry:
    """Store an existing private key, encrypted with ``password``."""
    check_new_password(password)
    return _store(key, password, home)


def import_keystore(path: str | os.PathLike[str], password: str, home: Path | None = None) -> KeystoreEntry:
    """Import a keystore file (any v3 kdf): decrypt it with its ``password`` and store it again
    as scrypt v3 under the same password."""
    source = Path(path)
    doc = _read_keystore(source)
    key = _decrypt(doc, password, source)
    return _store(key, password, home)


# ---------------------------------------------------------------------------- unlock


def _decrypt(doc: dict[str, Any], password: str, path: Path) -> bytes:
    try:
        key = bytes(Account.decrypt(doc, password))
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise WalletError(f"wrong password for keystore {path.name}") from None
        why = str(exc).splitlines()[0][:80] if str(exc) else "malformed"
        raise WalletError(f"{path}: cannot decrypt ({why})") from None
    except Exception as exc:  # a malformed parameter the checks above did not catch
        raise WalletError(f"{path}: cannot decrypt: malformed keystore ({type(exc).__name__})") from None
    stated = "0x" + str(doc["address"]).lower().removeprefix("0x")
    if Account.from_key(key).address.lower() != stated:
        raise WalletError(f"{path}: the key does not belong to the stated address {stated}")
    return key


def unlock(address: str, password: str, home: Path | None = None) -> LocalAccount:
    """The account of ``address``, decrypted from its keystore."""
    entry = find_keystore(address, home)
    key = _decrypt(_read_keystore(entry.path), password, entry.path)
    account: LocalAccount = Account.from_key(key)
    return account
