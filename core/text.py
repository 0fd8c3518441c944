"""User-written text shown to others: no invisible or direction-changing characters.

Unicode format characters (category Cf: bidi overrides such as U+202E, zero-width spaces U+200B,
the BOM, soft hyphens, Arabic letter marks ...) and control characters (Cc) let a name look like
another person's, hide text, or flip the order of what follows it (U+202E turns "Admin" + "nimdA"
into a look-alike). They are
refused, not silently stripped, so what a person typed is what everyone sees.

Kept, because real writing needs them:
- U+200D ZERO WIDTH JOINER between two emoji (family, profession and flag sequences);
- U+200C ZERO WIDTH NON-JOINER between two non-Latin letters (Persian, Indic scripts);
- tag characters only as a subdivision flag: U+1F3F4, 1-6 tag letters or digits, U+E007F
  CANCEL TAG (Scotland, Wales); any other run of them is hidden ASCII;
- one variation selector after a character (U+FE0F emoji style; U+E0100-U+E01EF only after a CJK
  ideograph, for variant glyphs of names): runs of them carry hidden bytes;
- line breaks and tabs in multi-line fields (bios, descriptions), U+2028/U+2029 there too.
Also refused: letters that draw nothing (U+3164 HANGUL FILLER and its kin, U+2800 BRAILLE
PATTERN BLANK, U+034F COMBINING GRAPHEME JOINER, the Khmer inherent vowels), which pass as a
name or pad text invisibly. CJK, emoji and combining marks are ordinary characters.
"""

from __future__ import annotations

import unicodedata

from core.error_text import too_long
from core.errors import Collector, ErrorCode

ZWJ = "\u200d"
ZWNJ = "\u200c"
BLACK_FLAG = "\U0001f3f4"
TAGS = range(0xE0020, 0xE0080)
CANCEL_TAG = "\U000e007f"
FLAG_TAGS = frozenset(chr(c) for c in [*range(0xE0030, 0xE003A), *range(0xE0061, 0xE007B)])
VARIATION_SELECTORS = frozenset([*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])
IDEOGRAPHIC_VARIATION = range(0xE0100, 0xE01F0)
BLANK_LETTERS = frozenset("\u3164\u115f\u1160\uffa0\u2800\u034f\u17b4\u17b5")
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
        letters = bool(before and after) and unicodedata.category(before)[0] in "LM" and after.isalpha()
        return letters and not (_is_latin(before) or _is_latin(after))
    if ord(char) in TAGS:
        return _in_subdivision_flag(text, index)
    return False


def _is_latin(char: str) -> bool:
    return "LATIN" in unicodedata.name(char, "")


def _in_subdivision_flag(text: str, index: int) -> bool:
    """The tag character at `index` belongs to U+1F3F4, 1-6 tag letters/digits, CANCEL TAG."""
    start = end = index
    while start > 0 and ord(text[start - 1]) in TAGS:
        start -= 1
    while end + 1 < len(text) and ord(text[end + 1]) in TAGS:
        end += 1
    run = text[start : end + 1]
    return (
        start > 0
        and text[start - 1] == BLACK_FLAG
        and run.endswith(CANCEL_TAG)
        and 1 <= len(run) - 1 <= 6
        and all(c in FLAG_TAGS for c in run[:-1])
    )


def _hidden_mark(text: str, index: int) -> bool:
    """A variation selector that carries no glyph choice (after another one, or an ideographic
    one after anything but a CJK ideograph), or a letter that draws nothing."""
    char = text[index]
    if char in BLANK_LETTERS:
        return True
    if ord(char) not in VARIATION_SELECTORS:
        return False
    before = text[index - 1] if index > 0 else ""
    if not before or ord(before) in VARIATION_SELECTORS:
        return True
    return ord(char) in IDEOGRAPHIC_VARIATION and "CJK" not in unicodedata.name(before, "")


def hidden_characters(text: str, multiline: bool = False) -> list[str]:
    """The refused characters of `text` as U+XXXX code points, in order of appearance."""
    found: list[str] = []
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in MULTILINE_CONTROLS):
            found.append(f"U+{ord(char):04X}")
        elif category == "Cf" and not _allowed_format(text, index):
            found.append(f"U+{ord(char):04X}")
        elif category in ("Zl", "Zp") and not multiline:
            found.append(f"U+{ord(char):04X}")
        elif _hidden_mark(text, index):
            found.append(f"U+{ord(char):04X}")
    return found


def check_visible_text(text: str, field: str, collector: Collector, multiline: bool = False) -> None:
    """Refuse invisible, control and direction-override characters in text others will see."""
    found = hidden_characters(text, multiline)
    if found:
        shown = ", ".join(dict.fromkeys(found[:5]))
        message = f"Invisible or direction-changing characters are not allowed ({shown})"
        collector.add(field, ErrorCode.INVALID, message)


def distinct_tags(tags: list[str]) -> list[str]:
    """Free-text tags trimmed, blanks dropped, each once whatever its case or width (辣, Spicy and
    ＳＰＩＣＹ once: the first spelling given stays)."""
    kept: dict[str, str] = {}
    for tag in (t.strip() for t in tags):
        if tag:
            kept.setdefault(unicodedata.normalize("NFKC", tag).casefold(), tag)
    return list(kept.values())


def check_body(text: str, field: str, limit: int, collector: Collector) -> str:
    """A multi-line text others read (terms, a bio): at most `limit` characters, nothing hidden;
    returned stripped."""
    if len(text) > limit:
        collector.add(field, ErrorCode.TOO_LONG, too_long(limit))
    check_visible_text(text, field, collector, multiline=True)
    return text.strip()


def check_visible_texts(texts: list[str], field: str, collector: Collector) -> None:
    """`check_visible_text` for each of a list (tags, poll options): each judged on its own, so
    an invisible item can't borrow its neighbours as context."""
    for text in texts:
        before = len(collector.errors)
        check_visible_text(text, field, collector)
        if len(collector.errors) > before:
            return


def check_title(title: str, collector: Collector, field: str = "title", most: int = 120) -> str:
    """A listing's title (deal, event, meal): trimmed, required, at most `most` characters, and
    nothing invisible (what others see is what was typed). Returns the trimmed title."""
    title = title.strip()
    if not title:
        collector.add(field, ErrorCode.INVALID, "Title is required")
    elif len(title) > most:
        collector.add(field, ErrorCode.TOO_LONG, too_long(most))
    else:
        check_visible_text(title, field, collector)
    return title
