"""`/openapi/v2`: the Swagger 2.0 document kubectl fetches, as protobuf, before it validates.

kubectl's client-side validation (`apply`, `create -f` without `--validate=false`) refuses to
run when the server has no v2 document. A real server sends every schema; this one sends the
document's frame only (version and title, no definitions), on which kubectl validates a
manifest's apiVersion and kind and skips the kinds it has no schema for, as it does for CRDs
without one. Field-level checks stay with the v3 documents (`fieldValidation`).

The protobuf is the gnostic `openapi.v2.Document` message, written by hand: three string
fields do not justify a protobuf dependency.
"""

from __future__ import annotations

import json

__all__ = ["PROTOBUF_SERVED", "document_json", "document_protobuf", "wants_protobuf"]

PROTOBUF_ASKED = (
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
)
"""What clients put in Accept; the "@" form is not a valid media type for Go's parser, so
the answer is labelled with the dotted one, as real servers do."""
PROTOBUF_SERVED = PROTOBUF_ASKED[1]
_SWAGGER = 1
"""`Document.swagger`."""
_INFO = 2
"""`Document.info`: an `Info` message, whose title is field 1 and version field 2."""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2): strings and embedded messages."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def wants_protobuf(accept: str) -> bool:
    return any(kind in accept for kind in PROTOBUF_ASKED)


def document_protobuf(version: str) -> bytes:
    info = _field(1, b"Kubernetes") + _field(2, version.encode())
    return _field(_SWAGGER, b"2.0") + _field(_INFO, info)


def document_json(version: str) -> bytes:
    doc = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": version}, "paths": {}}
    return json.dumps(doc).encode()
