"""User-written text shown to others: no invisible or direction-changing characters.

Unicode format characters (category Cf: bidi overrides such as U+202E, zero-width spaces U+200B,
the BOM, soft hyphens, Arabic letter marks ...) and control characters (Cc) let a name look like
another person's, hide text, or flip the order of what follows it (U+202E turns "Admin" + "nimdA"
into a look-alike). They are
refused, not silently stripped, so what a person typed is what everyone sees.

Kept, because real writing needs them:
- U+200D ZERO WIDTH JOINER between two emoji (family, profession and flag sequences);
- U+200C ZERO WIDTH NON-JOINER between two letters (Persian, Indic scripts);
- tag characters U+E0020-U+E007F inside a subdivision flag after U+1F3F4 (Scotland, Wales);
- line breaks and tabs in multi-line fields (bios, descriptions).
CJK, emoji, variation selectors (category Mn) and combining marks are ordinary characters.
"""

from __future__ import annotations

import unicodedata

from core.errors import Collector, ErrorCode

ZWJ = "\u200d"
ZWNJ = "\u200c"
BLACK_FLAG = "\U0001f3f4"
TAGS = range(0xE0020, 0xE0080)
MULTILINE_CONTROLS = frozenset("\n\t\r")


def _is_emoji(char: str) -> bool:
    """Symbols (So), emoji modifiers and the emoji variation selector that may precede a ZWJ."""
    return unicodedata.category(char) == "So" or char == "\ufe0f" or 0x1F3FB <= ord(char) <= 0x1F3FF


def _allowed_format(text: str, index: int) -> bool:
    char = text[index]
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if char == ZWJ:
        return bool(before and after) and _is_emoji(before) and _is_emoji(after)
    if char == ZWNJ:
        return bool(before and after) and unicodedata.category(before)[0] in "LM" and after.isalpha()
    if ord(char) in TAGS:
        start = index
        while start > 0 and ord(text[start - 1]) in TAGS:
            start -= 1
        return start > 0 and text[start - 1] == BLACK_FLAG
    return False


def hidden_characters(text: str, multiline: bool = False) -> list[str]:
    """The refused characters of `text` as U+XXXX code points, in order of appearance."""
    found: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in MULTILINE_CONTROLS):
            found.append(f"U+{ord(char):04X}")
        elif category == "Cf" and not _allowed_format(text, index):
            found.append(f"U+{ord(char):04X}")
    return found


def check_visible_text(text: str, field: str, collector: Collector, multiline: bool = False) -> None:
    """Refuse invisible, control and direction-override characters in text others will see."""
    found = hidden_characters(text, multiline)
    if found:
        shown = ", ".join(dict.fromkeys(found[:5]))
        message = f"Invisible or direction-changing characters are not allowed ({shown})"
        collector.add(field, ErrorCode.INVALID, message)


def check_title(title: str, collector: Collector, field: str = "title", most: int = 120) -> str:
    """A listing's title (deal, event, meal): trimmed, required, at most `most` characters, and
    nothing invisible (what others see is what was typed). Returns the trimmed title."""
    title = title.strip()
    if not title:
        collector.add(field, ErrorCode.INVALID, "Title is required")
    elif len(title) > most:
        collector.add(field, ErrorCode.TOO_LONG, f"At most {most} characters")
    else:
        check_visible_text(title, field, collector)
    return title
