"""Chinese text folded for search: traditional characters as simplified, Han names as pinyin.

Diners in Hong Kong, Taiwan and abroad type traditional characters (火鍋, 鼎泰豐) for places written
in simplified ones, and everyone types pinyin on a phone keyboard before picking characters:
`haidilao`, `hai di lao` or just the initials `hdl` for 海底捞, as Dianping's search box takes.

- `to_simplified` maps each traditional character to its simplified form (OpenCC's
  TSCharacters table, first candidate; `str.translate`). It runs on indexed and queried text
  alike, so the folding is symmetric: 鼎泰豐 finds 鼎泰丰 and the other way round. Character by
  character on purpose: a search key, not a translation (OpenCC's phrase tables are not loaded).
- `pinyin_words` spells a run of Han characters without tones (ü as `v`, as pinyin keyboards
  type it) from each syllable on, joined (`haidilao`, `dilao`) and as initials (`hdl`, `dl`): with
  the tokenizer's prefixes, any stretch of a name typed in pinyin finds it. Names
  are full of characters with two readings (重庆 chongqing, 长沙 changsha, 厦门 xiamen) and
  reading them right needs pypinyin's phrase dictionary, 57 MB per process; without it
  (`PYPINYIN_NO_PHRASES`, 13 MB) each character's most common reading comes first, so the run
  is spelled with those and then once more for each other reading of one character at a time
  (zhongqing, chongqing, ...), at most MAX_SPELLINGS spellings: the right one is among them.
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources
from typing import Any

MAX_SPELLINGS = 6


@cache
def _traditional_to_simplified() -> dict[int, str]:
    text = resources.files("opencc").joinpath("dictionary/TSCharacters.txt").read_text("utf-8")
    table: dict[int, str] = {}
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ", 1)[0].strip()
        if len(source) == 1 and len(first) == 1 and first != source:
            table[ord(source)] = first
    return table


def to_simplified(text: str) -> str:
    return text.translate(_traditional_to_simplified())


@cache
def _pypinyin() -> Any:
    # Before pypinyin's first import: its phrase dictionary would cost every worker 44 MB more.
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    import pypinyin

    return pypinyin


@cache
def _readings(char: str) -> tuple[str, ...]:
    """A character's readings without tones, the most common first; none for a non-Han one."""
    pypinyin = _pypinyin()
    found = pypinyin.pinyin(char, style=pypinyin.Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(r for r in (found[0] if found else []) if r.isascii() and r.isalpha())


def _spellings(syllables: list[tuple[str, ...]]) -> list[list[str]]:
    """The run read with each character's first reading, then with one other reading at a time."""
    first = [choices[0] for choices in syllables]
    out = [first]
    for at, choices in enumerate(syllables):
        for other in choices[1:]:
            if len(out) == MAX_SPELLINGS:
                return out
            out.append([*first[:at], other, *first[at + 1 :]])
    return out


def pinyin_words(run: str) -> list[str]:
    """Latin words that spell a run of Han characters (characters without a reading are skipped):
    each spelling from every syllable on (`haidilao`, `dilao`, `lao`) and its initials (`hdl`,
    `dl`), so that with their prefixes any stretch of the name typed in pinyin finds it (火锅 in
    陈麻婆火锅: `huoguo`, `hg`)."""
    syllables = [found for found in map(_readings, run) if found]
    if not syllables:
        return []
    words: dict[str, None] = {}
    for spelling in _spellings(syllables):
        for start in range(len(spelling)):
            words["".join(spelling[start:])] = None
            words["".join(s[0] for s in spelling[start:])] = None
    return list(words)
