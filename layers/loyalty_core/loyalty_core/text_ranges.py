"""The text rules' characters as code point ranges, and the patterns built from them.

What `validators` states as patterns (the membership name, the level, printable text, a
reference, a name) is built here from code point ranges that say what they are (SPEC 3);
building them takes as long as a quarter of a function's own cold start, so the functions
import none of this: `text_patterns` holds the patterns as built, written by
`python -m loyalty_core.text_ranges > layers/loyalty_core/loyalty_core/text_patterns.py`,
and tests/unit/test_text_rules.py proves them equal to what `patterns()` builds.
"""

from __future__ import annotations

import re

from loyalty_core.validators import END, LEVEL_PUNCTUATION, NAME_PUNCTUATION

# -- characters, as code point ranges (hex; Unicode 14.0) ---------------------------------
# Explicit ranges rather than `str.isprintable` or `\w`: a document can state a range list,
# while `\w` is ASCII in ECMA-262 and Unicode in Python, and neither reads the other's
# property classes. A code point unassigned in Unicode 14.0 counts as a letter: the rules
# do not move with the Unicode version of whoever checks them.
Ranges = tuple[tuple[int, int], ...]


def _ranges(*specs: str) -> Ranges:
    """The code points `specs` name ("0041-005A 00AA ..."), as sorted, merged ranges."""
    spans = sorted(
        (int(first, 16), int(last or first, 16))
        for spec in specs
        for first, _, last in (item.partition("-") for item in spec.split())
    )
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return tuple(merged)


def _spec(*ranges: Ranges) -> str:
    return " ".join(f"{first:X}-{last:X}" for spans in ranges for first, last in spans)


def _without(ranges: Ranges, taken: str) -> Ranges:
    """`ranges` less the characters of `taken`."""
    found: list[tuple[int, int]] = []
    for first, last in ranges:
        for code in sorted(map(ord, taken)):
            if first <= code <= last:
                if first < code:
                    found.append((first, code - 1))
                first = code + 1
        if first <= last:
            found.append((first, last))
    return tuple(found)


# The text rule (SPEC 3), beneath every text: no C0 or C1 control or DEL, no zero-width
# character, no bidi embedding, override or isolate, no surrogate (a lone one is no
# Unicode scalar value).
NOT_TEXT_RANGES = _ranges(
    "0000-001F 007F-009F",  # controls
    "200B-200D 2060 FEFF",  # zero-width
    "202A-202E 2066-2069",  # bidi embedding, override, isolate
    "D800-DFFF",  # surrogates
)
# Not printable either: format characters (Cf: the soft hyphen, Arabic number signs,
# invisible operators, tags, ...), every space but U+0020 and the line and paragraph
# separators (Zs, Zl, Zp), private use (Co), noncharacters, the few characters that
# normalization (NFC) writes as two or more (so that text stored in one spelling keeps its
# length rule), and U+D7FF, unassigned, beside the surrogates (a pattern names the surrogate
# block from U+D7FF on: an engine that holds no surrogates cannot read a range that starts
# in it).
NOT_PRINTABLE_RANGES = _ranges(
    _spec(NOT_TEXT_RANGES),
    "00AD 0600-0605 061C 06DD 070F 0890-0891 08E2 180E 200E-200F 2061-2064 206A-206F",
    "FFF9-FFFB 110BD 110CD 13430-13438 1BCA0-1BCA3 1D173-1D17A E0001 E0020-E007F",  # Cf
    "00A0 1680 2000-200A 2028-2029 202F 205F 3000",  # Zs but U+0020, Zl, Zp
    "E000-F8FF F0000-FFFFD 100000-10FFFD",  # Co
    "FDD0-FDEF",
    *(f"{plane:X}FFFE-{plane:X}FFFF" for plane in range(17)),  # noncharacters
    "0344 0958-095F 09DC-09DD 09DF 0A33 0A36 0A59-0A5B 0A5E 0B5C-0B5D 0F43 0F4D 0F52 0F57",
    "0F5C 0F69 0F73 0F75-0F76 0F78 0F81 0F93 0F9D 0FA2 0FA7 0FAC 0FB9 2ADC FB1D FB1F",
    "FB2A-FB36 FB38-FB3C FB3E FB40-FB41 FB43-FB44 FB46-FB4E 1D15E-1D164 1D1BB-1D1C0",  # NFC
    "D7FF",
)
# Punctuation and symbols (general categories P and S): with the space and what is not
# printable, all that is not a letter or a digit. Letters and digits are those of every
# script with their combining marks (categories L, M and N), and unassigned code points.
PUNCTUATION_AND_SYMBOLS = _ranges(
    """
    0021-002F 003A-0040 005B-0060 007B-007E 00A1-00A9 00AB-00AC 00AE-00B1 00B4 00B6-00B8
    00BB 00BF 00D7 00F7 02C2-02C5 02D2-02DF 02E5-02EB 02ED 02EF-02FF 0375 037E 0384-0385
    0387 03F6 0482 055A-055F 0589-058A 058D-058F 05BE 05C0 05C3 05C6 05F3-05F4 0606-060F
    061B 061D-061F 066A-066D 06D4 06DE 06E9 06FD-06FE 0700-070D 07F6-07F9 07FE-07FF
    0830-083E 085E 0888 0964-0965 0970 09F2-09F3 09FA-09FB 09FD 0A76 0AF0-0AF1 0B70
    0BF3-0BFA 0C77 0C7F 0C84 0D4F 0D79 0DF4 0E3F 0E4F 0E5A-0E5B 0F01-0F17 0F1A-0F1F 0F34
    0F36 0F38 0F3A-0F3D 0F85 0FBE-0FC5 0FC7-0FCC 0FCE-0FDA 104A-104F 109E-109F 10FB
    1360-1368 1390-1399 1400 166D-166E 169B-169C 16EB-16ED 1735-1736 17D4-17D6 17D8-17DB
    1800-180A 1940 1944-1945 19DE-19FF 1A1E-1A1F 1AA0-1AA6 1AA8-1AAD 1B5A-1B6A 1B74-1B7E
    1BFC-1BFF 1C3B-1C3F 1C7E-1C7F 1CC0-1CC7 1CD3 1FBD 1FBF-1FC1 1FCD-1FCF 1FDD-1FDF
    1FED-1FEF 1FFD-1FFE 2010-2027 2030-205E 207A-207E 208A-208E 20A0-20C0 2100-2101
    2103-2106 2108-2109 2114 2116-2118 211E-2123 2125 2127 2129 212E 213A-213B 2140-2144
    214A-214D 214F 218A-218B 2190-2426 2440-244A 249C-24E9 2500-2775 2794-2B73 2B76-2B95
    2B97-2BFF 2CE5-2CEA 2CF9-2CFC 2CFE-2CFF 2D70 2E00-2E2E 2E30-2E5D 2E80-2E99 2E9B-2EF3
    2F00-2FD5 2FF0-2FFB 3001-3004 3008-3020 3030 3036-3037 303D-303F 309B-309C 30A0 30FB
    3190-3191 3196-319F 31C0-31E3 3200-321E 322A-3247 3250 3260-327F 328A-32B0 32C0-33FF
    4DC0-4DFF A490-A4C6 A4FE-A4FF A60D-A60F A673 A67E A6F2-A6F7 A700-A716 A720-A721
    A789-A78A A828-A82B A836-A839 A874-A877 A8CE-A8CF A8F8-A8FA A8FC A92E-A92F A95F
    A9C1-A9CD A9DE-A9DF AA5C-AA5F AA77-AA79 AADE-AADF AAF0-AAF1 AB5B AB6A-AB6B ABEB FB29
    FBB2-FBC2 FD3E-FD4F FDCF FDFC-FDFF FE10-FE19 FE30-FE52 FE54-FE66 FE68-FE6B FF01-FF0F
    FF1A-FF20 FF3B-FF40 FF5B-FF65 FFE0-FFE6 FFE8-FFEE FFFC-FFFD 10100-10102 10137-1013F
    10179-10189 1018C-1018E 10190-1019C 101A0 101D0-101FC 1039F 103D0 1056F 10857
    10877-10878 1091F 1093F 10A50-10A58 10A7F 10AC8 10AF0-10AF6 10B39-10B3F 10B99-10B9C
    10EAD 10F55-10F59 10F86-10F89 11047-1104D 110BB-110BC 110BE-110C1 11140-11143
    11174-11175 111C5-111C8 111CD 111DB 111DD-111DF 11238-1123D 112A9 1144B-1144F
    1145A-1145B 1145D 114C6 115C1-115D7 11641-11643 11660-1166C 116B9 1173C-1173F 1183B
    11944-11946 119E2 11A3F-11A46 11A9A-11A9C 11A9E-11AA2 11C41-11C45 11C70-11C71
    11EF7-11EF8 11FD5-11FF1 11FFF 12470-12474 12FF1-12FF2 16A6E-16A6F 16AF5 16B37-16B3F
    16B44-16B45 16E97-16E9A 16FE2 1BC9C 1BC9F 1CF50-1CFC3 1D000-1D0F5 1D100-1D126
    1D129-1D164 1D16A-1D16C 1D183-1D184 1D18C-1D1A9 1D1AE-1D1EA 1D200-1D241 1D245
    1D300-1D356 1D6C1 1D6DB 1D6FB 1D715 1D735 1D74F 1D76F 1D789 1D7A9 1D7C3 1D800-1D9FF
    1DA37-1DA3A 1DA6D-1DA74 1DA76-1DA83 1DA85-1DA8B 1E14F 1E2FF 1E95E-1E95F 1ECAC 1ECB0
    1ED2E 1EEF0-1EEF1 1F000-1F02B 1F030-1F093 1F0A0-1F0AE 1F0B1-1F0BF 1F0C1-1F0CF
    1F0D1-1F0F5 1F10D-1F1AD 1F1E6-1F202 1F210-1F23B 1F240-1F248 1F250-1F251 1F260-1F265
    1F300-1F6D7 1F6DD-1F6EC 1F6F0-1F6FC 1F700-1F773 1F780-1F7D8 1F7E0-1F7EB 1F7F0
    1F800-1F80B 1F810-1F847 1F850-1F859 1F860-1F887 1F890-1F8AD 1F8B0-1F8B1 1F900-1FA53
    1FA60-1FA6D 1FA70-1FA74 1FA78-1FA7C 1FA80-1FA86 1FA90-1FAAC 1FAB0-1FABA 1FAC0-1FAC5
    1FAD0-1FAD9 1FAE0-1FAE7 1FAF0-1FAF6 1FB00-1FB92 1FB94-1FBCA
    """
)
NOT_LETTERS = _ranges(_spec(NOT_PRINTABLE_RANGES, PUNCTUATION_AND_SYMBOLS), "0020")
# White space (`str.isspace`), which a reference (a Universal API Key) does not hold.
SPACE_RANGES = _ranges("0009-000D 001C-0020 0085 00A0 1680 2000-200A 2028-2029 202F 205F 3000")
# Plane 14's last noncharacters, then planes 15 and 16 (private use and noncharacters): not
# printable, and refused by a pattern in one lookahead of its own rather than in its class
# (a generator that draws from a class walks each code point it names: 131,074 of them here).
_TAIL = (0xEFFFE, 0x10FFFF)


def _char(code: int) -> str:
    if code > 0xFFFF:
        # No escape past U+FFFF reads alike in ECMA-262 (\u{...}, with the u flag) and
        # Python (\U...): the character itself does, in both.
        return chr(code)
    char = chr(code)
    return char if char.isascii() and char.isalnum() else f"\\u{code:04x}"


def char_class(ranges: Ranges) -> str:
    """The inside of a character class holding `ranges`, as ECMA-262 and Python read it."""
    return "".join(
        _char(first) if first == last else f"{_char(first)}-{_char(last)}" for first, last in ranges
    )


def _but(refused: Ranges) -> str:
    """A pattern's class of the characters `refused` leaves, with the lookahead that
    refuses the tail: `(?!...)[^...]`, to repeat after it."""
    below = tuple((first, min(last, _TAIL[0] - 1)) for first, last in refused if first < _TAIL[0])
    return f"(?!.*[{_char(_TAIL[0])}-{_char(_TAIL[1])}])[^{char_class(below)}]"


def patterns() -> dict[str, str]:
    """Each pattern `text_patterns` holds, as these ranges build it."""
    printable = _but(NOT_PRINTABLE_RANGES)
    return {
        # A Universal API reference (a `Key`, such as a BookingTravelerRef).
        "REFERENCE": f"^{_but(_ranges(_spec(NOT_PRINTABLE_RANGES, SPACE_RANGES)))}{{1,64}}{END}",
        "PROGRAM": f"^(?! *$){printable}{{1,50}}{END}",
        "SHORT_TEXT": f"^{printable}{{0,50}}{END}",
        "LONG_TEXT": f"^{printable}{{0,500}}{END}",
        "MEMBERSHIP_NAME": (
            f"^(?![{NAME_PUNCTUATION}]*$)"
            f"{_but(_without(NOT_LETTERS, NAME_PUNCTUATION))}{{1,50}}{END}"
        ),
        "LEVEL": f"^{_but(_without(NOT_LETTERS, LEVEL_PUNCTUATION))}{{0,50}}{END}",
        # Of a company, a user, an application (no document states it: its class names
        # surrogates).
        "NAME": f"^[^{char_class(NOT_TEXT_RANGES)}]{{1,100}}{END}",
        # What a membership name may not hold (Python's reading: with the tail and
        # surrogates).
        "NOT_NAME_CHARACTER": f"[{char_class(_without(NOT_LETTERS, NAME_PUNCTUATION))}]",
        # The text rule as a search (`validators.NOT_TEXT`).
        "NOT_TEXT_CHARACTER": f"[{char_class(NOT_TEXT_RANGES)}]",
    }


def _literal(text: str, width: int = 84) -> list[str]:
    """`text` as Python string literals of at most `width` characters each, every character
    outside printable ASCII escaped (so the source shows what each code point is), never
    split inside one of the pattern's own escapes (`\\u00ad`)."""
    pieces: list[str] = []
    line = ""
    for token in re.findall(r"\\u[0-9a-f]{4}|.", text, re.DOTALL):
        piece = "".join(_escaped(char) for char in token)
        if len(line) + len(piece) > width:
            pieces.append(f'"{line}"')
            line = ""
        line += piece
    return [*pieces, f'"{line}"']


def _escaped(char: str) -> str:
    code = ord(char)
    if char in '\\"':
        return "\\" + char
    if 0x20 <= code < 0x7F:
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def source() -> str:
    """The module `text_patterns`, as this module writes it."""
    lines = [
        '"""The text rules\' patterns as `loyalty_core.text_ranges` builds them (SPEC 3),',
        "written by `python -m loyalty_core.text_ranges`: do not edit;",
        'tests/unit/test_text_rules.py proves them equal to what it builds."""',
        "",
        "# fmt: off",
    ]
    for name, pattern in patterns().items():
        lines += [f"{name} = (", *(f"    {piece}" for piece in _literal(pattern)), ")"]
    return "\n".join([*lines, "# fmt: on", ""])


if __name__ == "__main__":
    print(source(), end="")
