"""Files are recognised by their first bytes: PDF, JPEG, PNG and detached CMS signatures; nothing else."""

from __future__ import annotations

import pytest

from services.files.sniff import FileKind, sniff
from tests.support.objects import pdf_document

SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
PNG_HEADER = bytes.fromhex("89504e470d0a1a0a0000000d49484452")


def der_signature(length_form: bytes) -> bytes:
    return b"\x30" + length_form + SIGNED_DATA_OID + b"\xa0\x80" + b"\x00" * 40


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (pdf_document()[:64], FileKind.PDF),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", FileKind.JPEG),
        (PNG_HEADER, FileKind.PNG),
        (der_signature(b"\x82\x12\x34"), FileKind.SIGNATURE),  # DER, two length bytes (.p7s)
        (der_signature(b"\x80"), FileKind.SIGNATURE),  # BER indefinite length (CryptoPro .sig)
        (der_signature(b"\x81\xf0"), FileKind.SIGNATURE),
        (b"-----BEGIN PKCS7-----\nMIAGCSqGSIb3DQEHAqCAMIACAQEx", FileKind.SIGNATURE),
        (b"\xef\xbb\xbf-----BEGIN CMS-----\r\nMIAG", FileKind.SIGNATURE),
    ],
)
def test_accepted_kinds_are_recognised(head: bytes, kind: FileKind) -> None:
    assert sniff(head) is kind


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"Hello, I am a PDF, trust me",
        b"PK\x03\x04\x14\x00\x06\x00",  # DOCX / ZIP
        b"GIF89a\x01\x00",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # DOC
        b"<html><body>%PDF-1.7</body></html>",
        b"\x30\x82\x01\x0a" + bytes.fromhex("06092a864886f70d010701") + b"\x00" * 20,  # CMS data, not signedData
        b"\x30\x82\x05\x00\x30\x82\x04\x00" + b"\x00" * 20,  # a certificate, not a signature
        b"-----BEGIN CERTIFICATE-----\nMIIF",
        b"\x89PNG\r\n",  # a truncated PNG signature
    ],
)
def test_anything_else_is_not_recognised(head: bytes) -> None:
    assert sniff(head) is None
