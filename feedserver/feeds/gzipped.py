"""A cached feed page in pieces: the bytes between its token slots, each also compressed once.

A page is rendered once for many readers, but every reader's copy carries their own tokens
(in the `self`/`first`/`next` links and the links to thread feeds). So the page is kept as
pieces and slots: the plain answer joins pieces and tokens; the gzip answer (RFC 1952) joins
the pieces' deflate blocks, compressed once (as one stream) when the page was rendered, with
each token as a stored block of its own. Per answer that costs one CRC-32 pass and a join,
never a deflate.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no mtime, OS unknown
_LAST_BLOCK = b"\x01\x00\x00\xff\xff"  # an empty final stored block
_STAND_IN = b"\x01"


@dataclass(frozen=True, slots=True)
class Pieces:
    plain: tuple[bytes, ...]  # the bytes between slots (one more than slots)
    packed: tuple[bytes, ...]  # each piece as deflate blocks ending on a byte boundary
    slots: tuple[bytes, ...]  # the name of each slot, in order
    fill_size: int  # the length of every fill (a feed token)

    @property
    def size(self) -> int:
        return sum(map(len, self.plain)) + sum(map(len, self.packed))


def split(body: bytes, slot: re.Pattern[bytes], fill_size: int) -> Pieces:
    """Cuts a page at every match of `slot` (whose group 1 names the slot) and compresses the
    pieces as one stream, each ending with a sync flush so the next block starts on a byte.

    Every fill is `fill_size` bytes, so the compressor is fed a stand-in of that size in each
    slot (whose blocks are dropped): later pieces then sit at the same distances as in the
    real answer, and their back-references stay right. The stand-in is a control character
    that a page never contains (atom.clean removes them), so no back-reference can land in
    it, where each reader's token differs."""
    plain, slots, at = [], [], 0
    for match in slot.finditer(body):
        plain.append(body[at : match.start()])
        slots.append(match.group(1))
        at = match.end()
    plain.append(body[at:])
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    stand_in = _STAND_IN * fill_size
    packed = []
    for n, piece in enumerate(plain):
        if n:
            deflate.compress(stand_in)
            deflate.flush(zlib.Z_SYNC_FLUSH)
        packed.append(deflate.compress(piece) + deflate.flush(zlib.Z_SYNC_FLUSH))
    return Pieces(tuple(plain), tuple(packed), tuple(slots), fill_size)


def _interleave(pieces: tuple[bytes, ...], fills: list[bytes]) -> list[bytes]:
    out = [pieces[0]]
    for fill, piece in zip(fills, pieces[1:], strict=True):
        out += (fill, piece)
    return out


def plain(pieces: Pieces, fills: list[bytes]) -> bytes:
    return b"".join(_interleave(pieces.plain, fills))


def _stored(data: bytes) -> bytes:
    """`data` as non-final stored deflate blocks (a block holds at most 65,535 bytes)."""
    out = []
    for at in range(0, len(data), 0xFFFF):
        chunk = data[at : at + 0xFFFF]
        out.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(out)


def gzip(pieces: Pieces, fills: list[bytes]) -> bytes:
    """The gzip member of the page with `fills` in its slots."""
    if any(len(fill) != pieces.fill_size for fill in fills):
        raise ValueError("every fill must be fill_size bytes")
    crc, size = 0, 0
    for part in _interleave(pieces.plain, fills):
        crc = zlib.crc32(part, crc)
        size += len(part)
    body = _interleave(pieces.packed, [_stored(f) for f in fills])
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join([_HEADER, *body, _LAST_BLOCK, trailer])
