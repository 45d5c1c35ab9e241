"""The one hardened XML parser of the layer, for the Concur and Universal API interfaces.

No DTD (a DOCTYPE is refused outright), no entity expansion, no network; only the
encodings UTF-8, UTF-16 and US-ASCII (refused before parsing); and a depth and an
element-count limit checked while parsing, so that a hostile document is refused after
at most `MAX_ELEMENTS` elements, never built whole (the body's size is limited before,
by `http.read_body`). lxml >= 6.1 already refuses external entities, network access and
entity amplification; refusing any DOCTYPE also shuts out billion laughs and quadratic
blowup before they start.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from loyalty_core.errors import MalformedRequest, quote

MAX_BYTES = 1024 * 1024  # the XML interfaces' body limit
MAX_DEPTH = 64
MAX_ELEMENTS = 10_000
# The encodings a document may declare (and a Content-Type charset may name).
ENCODINGS = frozenset({"utf-8", "utf-16", "us-ascii"})
MEDIA_TYPES = {"application/xml": {"charset"}, "text/xml": {"charset"}}
_CHUNK = 64 * 1024  # fed to the parser at a time, so that limits stop it early

_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_blank_text": False,
    "collect_ids": False,
}
_DECLARED = re.compile(r"<\?xml[^>]*?\sencoding\s*=\s*[\"']([^\"']*)[\"']")


class XmlRejected(MalformedRequest):
    """The body is not XML we accept (not well-formed, a DOCTYPE, an encoding, too big)."""

    title = "Bad XML"


def _head(data: bytes) -> str:
    """The document's first characters, decoded as the XML spec's appendix F detects its
    encoding family from the first bytes (UTF-32 and EBCDIC are refused here)."""
    first = data[:4]
    if first in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00"):
        raise XmlRejected("The document is in UTF-32; send UTF-8, UTF-16 or US-ASCII")
    if first == b"\x4c\x6f\xa7\x94":
        raise XmlRejected("The document is in EBCDIC; send UTF-8, UTF-16 or US-ASCII")
    if first[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return data[:512].decode("utf-16", "replace")
    if first == b"\x00<\x00?":
        return data[:512].decode("utf-16-be", "replace")
    if first == b"<\x00?\x00":
        return data[:512].decode("utf-16-le", "replace")
    return data[:512].removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def check_encoding(data: bytes) -> None:
    """Refuse (400) a document that declares an encoding other than UTF-8, UTF-16 and
    US-ASCII, before any parser decodes it."""
    head = _head(data).lstrip("\ufeff")
    declared = _DECLARED.match(head) if head.startswith("<?xml") else None
    if declared is not None and declared.group(1).lower() not in ENCODINGS:
        raise XmlRejected(
            f"The document declares encoding {quote(declared.group(1))}; "
            "send UTF-8, UTF-16 or US-ASCII"
        )


def _tree(data: bytes) -> etree._Element:
    """Parse `data`, counting elements and depth as they come: past a limit, stop."""
    parser = etree.XMLPullParser(events=("start", "end"), **_OPTIONS)
    elements = depth = 0
    for offset in range(0, len(data), _CHUNK):
        parser.feed(data[offset : offset + _CHUNK])
        for event, _ in parser.read_events():
            if event == "end":
                depth -= 1
                continue
            elements, depth = elements + 1, depth + 1
            if elements > MAX_ELEMENTS:
                raise XmlRejected(f"The document holds more than {MAX_ELEMENTS} elements")
            if depth > MAX_DEPTH:
                raise XmlRejected(f"The document is nested deeper than {MAX_DEPTH} levels")
    root: etree._Element = parser.close()
    return root


def parse(data: bytes) -> etree._Element:
    """The document's root element, or XmlRejected with a clear reason."""
    if not data.strip():
        raise XmlRejected("The body is empty; an XML document is required")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise XmlRejected("DOCTYPE and entity declarations are not allowed")
    check_encoding(data)
    try:
        root = _tree(data)
    except etree.XMLSyntaxError as err:
        raise XmlRejected(f"The body is not well-formed XML: {err.msg}") from err
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRejected("DOCTYPE and entity declarations are not allowed")
    return root


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
