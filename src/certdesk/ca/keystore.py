"""CA private keys at rest: encrypted PKCS#8 files (RFC 5958) and the passphrase protecting them.

Keys live in settings.CA_DIR/keys/ (directory 0700, files 0600), always encrypted with
BestAvailableEncryption. The passphrase is settings.CA_PASSPHRASE (CERTDESK_CA_PASSPHRASE)
when set; otherwise a random one generated once into settings.CA_DIR/passphrase. That file
sits next to the keys, so it only protects copies of keys/ taken without it: production
should set CERTDESK_CA_PASSPHRASE (or use an HSM).
"""
from __future__ import annotations

import functools
import os
import re
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings

from certdesk.core.i18n import msg

from .errors import CAKeyUnreadable

KEYS_DIRNAME = "keys"
PASSPHRASE_FILENAME = "passphrase"
_KEY_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def ca_dir() -> Path:
    return Path(settings.CA_DIR)


def keys_dir() -> Path:
    return ca_dir() / KEYS_DIRNAME


def _private_dir(path: Path) -> Path:
    """Create `path` if needed and make sure only the owner can enter it (also an existing one)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def passphrase_source() -> str:
    """Where the passphrase comes from, for operators: the environment or the generated file."""
    if settings.CA_PASSPHRASE:
        return "CERTDESK_CA_PASSPHRASE"
    return str(ca_dir() / PASSPHRASE_FILENAME)


def passphrase() -> bytes:
    """The key-encryption passphrase: CERTDESK_CA_PASSPHRASE wins over the generated file."""
    if settings.CA_PASSPHRASE:
        return settings.CA_PASSPHRASE.encode("utf-8")
    path = ca_dir() / PASSPHRASE_FILENAME
    if not path.exists():
        _private_dir(ca_dir())
        _publish_once(path, secrets.token_bytes(32).hex().encode("ascii"))
    value = path.read_bytes().strip()
    if not value:
        raise CAKeyUnreadable(msg("CA passphrase file %(path)s is empty: restore it or set CERTDESK_CA_PASSPHRASE.",
                                  path=path))
    return value


def _publish_once(path: Path, content: bytes) -> None:
    """Write `content` to `path` unless it exists, so no reader ever sees a half-written file.

    The bytes go to a private temporary file first (O_EXCL, 0600), then a hard link makes
    them appear under the final name; if another process won the race, its file stays.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def key_path(key_ref: str) -> Path:
    # key_ref comes from the database: refuse anything that could leave keys/.
    if not _KEY_REF_RE.match(key_ref or "") or ".." in key_ref:
        raise CAKeyUnreadable(msg("CA key reference %(key_ref)r is not a plain file name under %(keys_dir)s.",
                                  key_ref=key_ref, keys_dir=keys_dir()))
    return keys_dir() / key_ref


def write_key(private_key: PrivateKeyTypes, key_ref: str) -> Path:
    """Store a new key as encrypted PKCS#8 PEM; never overwrites an existing file."""
    path = key_path(key_ref)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase()),
    )
    _private_dir(ca_dir())
    _private_dir(keys_dir())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return path


def remove_key(key_ref: str) -> None:
    key_path(key_ref).unlink(missing_ok=True)


def load_key(key_ref: str) -> PrivateKeyTypes:
    """Decrypt a stored key; a wrong passphrase or a missing file is a CAKeyUnreadable."""
    path = key_path(key_ref)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise CAKeyUnreadable(msg("CA key file %(path)s is missing: restore settings.CA_DIR from backup.",
                                  path=path)) from None
    return _decrypt(str(path), stat.st_mtime_ns, stat.st_size, passphrase())


# Per-process cache of decrypted keys: parsing an RSA-4096 key (with its consistency
# check) costs ~0.2 s, far more than a signature. Keyed by file identity and passphrase,
# so a replaced file or a changed passphrase is read again. Nothing here is shared state.
@functools.lru_cache(maxsize=32)
def _decrypt(path: str, mtime_ns: int, size: int, password: bytes) -> PrivateKeyTypes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CAKeyUnreadable(msg("CA key file %(path)s cannot be read: %(strerror)s.",
                                  path=path, strerror=exc.strerror)) from None
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" not in data:
        raise CAKeyUnreadable(msg("CA key %(path)s is not an encrypted PKCS#8 key; refusing a plaintext key.",
                                  path=path))
    try:
        return serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise CAKeyUnreadable(msg("CA key %(path)s unreadable: wrong CERTDESK_CA_PASSPHRASE?", path=path)) from None


def clear_cache() -> None:
    _decrypt.cache_clear()
