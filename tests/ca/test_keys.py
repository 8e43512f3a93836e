"""CA keys at rest: encrypted PKCS#8, private file modes, where the passphrase comes from."""
from __future__ import annotations

import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certdesk.ca import keystore, services
from certdesk.ca.errors import CAKeyUnreadable
from certdesk.ca.signers import get_signer
from tests.conftest import CA_TEST_PASSPHRASE


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def spki(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_key_files_are_encrypted_pkcs8_readable_only_by_the_owner(authorities):
    assert mode(keystore.keys_dir()) == 0o700
    assert mode(keystore.ca_dir()) == 0o700
    for ca in authorities.values():
        path = keystore.key_path(ca.key_ref)
        assert path.parent == keystore.keys_dir()
        assert mode(path) == 0o600
        data = path.read_bytes()
        assert data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        for plaintext in (b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----",
                          b"-----BEGIN EC PRIVATE KEY-----"):
            assert plaintext not in data
        with pytest.raises(TypeError):  # "Password was not given but private key is encrypted"
            serialization.load_pem_private_key(data, password=None)
        with pytest.raises(ValueError):
            serialization.load_pem_private_key(data, password=b"not the passphrase")
        key = serialization.load_pem_private_key(data, password=CA_TEST_PASSPHRASE.encode())
        assert spki(key.public_key()) == spki(ca.certificate().public_key())


def test_key_directories_are_created_private(ca_settings, ca_keys, tmp_path):
    ca_settings.CA_DIR = tmp_path / "data" / "ca"
    keystore.write_key(ca_keys["ecc-root"], "ecc-root-test.key.pem")
    assert mode(tmp_path / "data" / "ca") == 0o700
    assert mode(tmp_path / "data" / "ca" / "keys") == 0o700
    assert mode(tmp_path / "data" / "ca" / "keys" / "ecc-root-test.key.pem") == 0o600


def test_no_key_material_in_the_database(authorities):
    for ca in authorities.values():
        assert "PRIVATE KEY" not in ca.certificate_pem and "PRIVATE" not in ca.key_ref


def test_configured_passphrase_wins_over_the_generated_file(ca_settings):
    ca_settings.CA_PASSPHRASE = ""
    generated = keystore.passphrase()
    ca_settings.CA_PASSPHRASE = "from-the-environment"
    assert keystore.passphrase() == b"from-the-environment" != generated
    assert keystore.passphrase_source() == "CERTDESK_CA_PASSPHRASE"


def test_passphrase_file_is_generated_once_0600_when_nothing_is_configured(ca_settings):
    ca_settings.CA_PASSPHRASE = ""
    path = keystore.ca_dir() / "passphrase"
    assert not path.exists()
    first = keystore.passphrase()
    assert len(first) == 64 and int(first, 16) >= 0  # 32 random bytes, hex
    assert mode(path) == 0o600 and mode(keystore.ca_dir()) == 0o700
    assert keystore.passphrase() == first
    assert [p.name for p in keystore.ca_dir().iterdir()] == ["passphrase"]  # no temporary file left


def test_init_without_configured_passphrase_encrypts_with_the_generated_one(db, ca_settings, ca_key_factory):
    ca_settings.CA_PASSPHRASE = ""
    created = services.init_authorities(key_factory=ca_key_factory)
    secret = (keystore.ca_dir() / "passphrase").read_bytes()
    ca = next(ca for ca in created if ca.slug == "ecc-ssl-ov")
    key = serialization.load_pem_private_key(keystore.key_path(ca.key_ref).read_bytes(), password=secret)
    assert spki(key.public_key()) == spki(ca.certificate().public_key())
    assert get_signer(ca).public_key() == ca.certificate().public_key()


def test_wrong_passphrase_is_a_clear_domain_error(authorities, ca_settings):
    ca_settings.CA_PASSPHRASE = "someone changed it"
    with pytest.raises(CAKeyUnreadable, match="wrong CERTDESK_CA_PASSPHRASE"):
        keystore.load_key(authorities["ecc-client"].key_ref)


def test_missing_key_file_is_a_clear_domain_error(authorities):
    keystore.key_path(authorities["ecc-client"].key_ref).unlink()
    with pytest.raises(CAKeyUnreadable, match="missing"):
        keystore.load_key(authorities["ecc-client"].key_ref)


def test_key_of_another_ca_is_refused(authorities):
    ca = authorities["ecc-client"]
    ca.key_ref = authorities["ecc-codesign"].key_ref
    builder = x509.CertificateBuilder().subject_name(ca.certificate().subject)
    with pytest.raises(CAKeyUnreadable, match="does not match"):
        get_signer(ca).sign_certificate(builder)


def test_plaintext_key_file_is_refused(authorities, ca_keys):
    path = keystore.keys_dir() / "plain.key.pem"
    path.write_bytes(ca_keys["ecc-root"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with pytest.raises(CAKeyUnreadable, match="plaintext"):
        keystore.load_key("plain.key.pem")


@pytest.mark.parametrize("key_ref", ["../passphrase", "/etc/passwd", "", "keys/../x", ".hidden"])
def test_key_reference_cannot_leave_the_keys_directory(ca_settings, key_ref):
    with pytest.raises(CAKeyUnreadable):
        keystore.key_path(key_ref)


def test_keys_are_never_overwritten(authorities, ca_keys):
    with pytest.raises(FileExistsError):
        keystore.write_key(ca_keys["ecc-root"], authorities["ecc-root"].key_ref)
