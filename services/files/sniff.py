"""What a file is, from its first bytes: the name and the declared content type a client sends prove nothing.

Accepted kinds are those the portal takes as documents: PDF, JPEG, PNG and a detached CMS signature (`.sig`/`.p7s`,
DER or PEM) as made by Russian e-signature tools for a signed application.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FileKind(StrEnum):
    PDF = "PDF"
    JPEG = "JPEG"
    PNG = "PNG"
    SIGNATURE = "SIGNATURE"


@dataclass(frozen=True, slots=True)
class KindInfo:
    content_type: str
    extension: str


KIND_INFO: dict[FileKind, KindInfo] = {
    FileKind.PDF: KindInfo("application/pdf", ".pdf"),
    FileKind.JPEG: KindInfo("image/jpeg", ".jpg"),
    FileKind.PNG: KindInfo("image/png", ".png"),
    FileKind.SIGNATURE: KindInfo("application/pkcs7-signature", ".p7s"),
}

# How many leading bytes `sniff` needs to decide.
SNIFF_BYTES = 64

_PDF = b"%PDF-"
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"
# OBJECT IDENTIFIER 1.2.840.113549.1.7.2 (pkcs7-signedData), DER-encoded with its tag and length.
_SIGNED_DATA_OID = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
_PEM_HEADERS = (b"-----BEGIN PKCS7-----", b"-----BEGIN CMS-----")


def _is_der_signature(head: bytes) -> bool:
    """A DER (or BER, indefinite length) SEQUENCE whose first element is the signedData content type."""
    if head[:1] != b"\x30" or len(head) < 2:
        return False
    length_byte = head[1]
    if length_byte == 0x80 or length_byte < 0x80:  # BER indefinite length
        offset = 2
    else:
        offset = 2 + (length_byte & 0x7F)
        if length_byte & 0x7F > 4:
            return False
    return head[offset : offset + len(_SIGNED_DATA_OID)] == _SIGNED_DATA_OID


def _is_pem_signature(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(_PEM_HEADERS)


def sniff(head: bytes) -> FileKind | None:
    """The kind of a file whose first bytes are `head` (at least `SNIFF_BYTES` of them when the file is that long)."""
    if head.startswith(_PDF):
        return FileKind.PDF
    if head.startswith(_JPEG):
        return FileKind.JPEG
    if head.startswith(_PNG):
        return FileKind.PNG
    if _is_der_signature(head) or _is_pem_signature(head):
        return FileKind.SIGNATURE
    return None
