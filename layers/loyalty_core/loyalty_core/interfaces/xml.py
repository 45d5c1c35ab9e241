"""The one hardened XML parser of the layer, for the Concur and hotel interfaces.

No DTD (a DOCTYPE is refused outright), no entity expansion, no network, and a
depth limit after parsing (the body's size is limited before, by `http.read_body`).
lxml >= 6.1 already refuses external entities, network access and entity
amplification; refusing any DOCTYPE also shuts out billion laughs and quadratic
blowup before they start.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from loyalty_core.errors import MalformedRequest

MAX_BYTES = 1024 * 1024  # the XML interfaces' body limit
MAX_DEPTH = 64

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
    collect_ids=False,
)


class XmlRejected(MalformedRequest):
    """The body is not XML we accept (not well-formed, a DOCTYPE, too deep)."""

    title = "Bad XML"


def _depth(root: etree._Element) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in element)
    return deepest


def parse(data: bytes) -> etree._Element:
    """The document's root element, or XmlRejected with a clear reason."""
    if not data.strip():
        raise XmlRejected("The body is empty; an XML document is required")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in head:
        raise XmlRejected("DOCTYPE and entity declarations are not allowed")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as err:
        raise XmlRejected(f"The body is not well-formed XML: {err.msg}") from err
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRejected("DOCTYPE and entity declarations are not allowed")
    if _depth(root) > MAX_DEPTH:
        raise XmlRejected(f"The document is nested deeper than {MAX_DEPTH} levels")
    return root


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace ('' for comments and processing instructions)."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
