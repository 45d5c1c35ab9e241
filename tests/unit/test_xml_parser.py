"""The one hardened XML parser (Concur and hotel): encodings, element count and depth are
refused early, with a clear reason."""

from __future__ import annotations

import pytest

from loyalty_core.interfaces.xml import MAX_DEPTH, MAX_ELEMENTS, XmlRejected, parse

DOCUMENT = '<?xml version="1.0" encoding="{}"?><a><b>Caf\u00e9</b></a>'


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("utf-8", "utf-8-sig"),
        ("UTF-16", "utf-16"),
        ("UTF-16", "utf-16-be"),
        ("UTF-16", "utf-16-le"),
        ("US-ASCII", "ascii"),
    ],
)
def test_utf8_utf16_and_ascii_are_parsed(encoding: str, codec: str) -> None:
    text = DOCUMENT.format(encoding)
    if codec == "ascii":
        text = text.replace("\u00e9", "&#233;")
    root = parse(text.encode(codec))
    assert root.findtext("b") == "Caf\u00e9"


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [
        ("UTF-7", "utf-7"),
        ("ISO-8859-1", "latin-1"),
        ("windows-1252", "cp1252"),
        ("UTF-7", "utf-16"),
        ("UTF-32", "utf-32"),
        ("UTF-32", "utf-32-be"),
        ("UTF-32", "utf-32-le"),
        ("EBCDIC-US", "cp037"),
    ],
)
def test_other_encodings_are_refused_before_parsing(encoding: str, codec: str) -> None:
    with pytest.raises(XmlRejected) as refused:
        parse(DOCUMENT.format(encoding).encode(codec))
    assert "send UTF-8, UTF-16 or US-ASCII" in refused.value.detail


def test_a_utf7_doctype_never_reaches_the_parser() -> None:
    # "<!DOCTYPE" escaped in UTF-7: the byte check cannot see it, the encoding check refuses.
    body = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE a+AD4-<a/>'
    with pytest.raises(XmlRejected, match="declares encoding"):
        parse(body)


def elements(count: int) -> bytes:
    return b"<a>" + b"<b/>" * (count - 1) + b"</a>"


def test_a_document_of_the_element_limit_is_parsed() -> None:
    assert len(parse(elements(MAX_ELEMENTS))) == MAX_ELEMENTS - 1


def test_one_element_more_is_refused() -> None:
    with pytest.raises(XmlRejected, match=f"more than {MAX_ELEMENTS} elements"):
        parse(elements(MAX_ELEMENTS + 1))


def test_the_count_stops_parsing_early() -> None:
    # Broken at its very end: refused for its count, so it was never read to the end.
    with pytest.raises(XmlRejected, match="elements"):
        parse(elements(200_000) + b"<unclosed>")


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    assert parse(b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH) is not None
    deeper = MAX_DEPTH + 1
    with pytest.raises(XmlRejected, match="nested deeper"):
        parse(b"<a>" * deeper + b"</a>" * deeper)


def test_a_doctype_after_a_long_comment_is_still_refused() -> None:
    body = b"<!--" + b"x" * 5000 + b"--><!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>"
    with pytest.raises(XmlRejected, match="DOCTYPE"):
        parse(body)
