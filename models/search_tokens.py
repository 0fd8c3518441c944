"""The one search tokenizer, used to index and to query on both backends.

CJK text is cut into overlapping character bigrams (as Elasticsearch's `cjk_bigram` filter
does), so a two-character word such as 火锅 is one whole token: trigram indexes (pg_trgm,
FTS5 `trigram`) need three characters and miss it. A lone CJK character is also indexed as a
unigram, so a one-character query (面) still matches. Latin words and numbers are lower-cased
whole words plus their prefixes (edge n-grams of 2..PREFIX_MAX characters), so "spic" finds
"Spicy" with a plain exact-token lookup: a GIN `@>` on PostgreSQL, an FTS5 `MATCH` on SQLite.

Traditional characters are read as simplified ones on both sides (火鍋 finds 火锅), and names
are indexed with their pinyin too (`hdl`, `haidilao`, `hai di lao` find 海底捞):
models/chinese_search.py.

Tokens never contain spaces or quotes: a document is its tokens joined by spaces.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterator

from models.chinese_search import pinyin_words, to_simplified

PREFIX_MAX = 15
# Han (with extensions and compatibility ideographs), kana, Hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0002fa1f"
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")


def _normal(text: str) -> str:
    # NFKC folds full-width Latin (ＡＢＣ) and half-width kana to their usual forms.
    return to_simplified(unicodedata.normalize("NFKC", text).casefold())


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) pairs of the text, in order."""
    return [(bool(m.group(1)), m.group(0)) for m in _RUNS.finditer(_normal(text))]


def _add_word(out: dict[str, None], word: str) -> None:
    out[word] = None
    for n in range(2, min(len(word), PREFIX_MAX) + 1):
        out[word[:n]] = None


_SPACED_CJK = re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def index_tokens(text: str, pinyin: bool = False) -> list[str]:
    """Tokens stored for a document (distinct, in first-seen order); with `pinyin`, CJK runs are
    also spelled in pinyin (for names: a description's pinyin would only add noise).

    Spaces between two CJK characters are read as none (鲜 毛肚 is 鲜毛肚, as the menu's
    duplicate check has it), so 鲜毛肚 and xmd find it; each part's own tokens are kept too."""
    out: dict[str, None] = {}
    for cjk, run in _runs(_SPACED_CJK.sub("", text)):
        if cjk:
            for char in run:
                out[char] = None
            for i in range(len(run) - 1):
                out[run[i : i + 2]] = None
            for word in pinyin_words(run) if pinyin else ():
                if len(word) >= 2:
                    _add_word(out, word)
        else:
            _add_word(out, run)
    return list(out)


def query_tokens(text: str) -> list[str]:
    """Tokens a query requires (all of them must be in the document).

    CJK runs give their bigrams (a one-character run its unigram); Latin words give the word, cut
    to PREFIX_MAX so a long word still meets its indexed prefix; one-letter words are dropped.
    """
    out: dict[str, None] = {}
    for cjk, run in _runs(text):
        if cjk:
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            out.update(dict.fromkeys(grams))
        elif len(run) >= 2:
            out[run[:PREFIX_MAX]] = None
    return list(out)


# Relaxing a query (search's second pass, run only when every token matched nothing): a CJK run
# this long may be words written together (重庆火锅), whose bigrams across a word break (庆火)
# are in no document. Words are mostly 2 or 3 characters, so the run is read as each way of
# cutting it into 2- and 3-character pieces (重庆老火锅: 重庆|老火锅 or 重庆老|火锅), and a
# document matches when it holds every bigram of the pieces of one such cut: each character
# is still required, in its pair, and only the bigrams across the cut are let go.
RELAX_MIN = 4
MAX_CUTS = 16  # token sets one relaxed query may try (one OR'ed statement, not one per cut)


def _cuts(n: int) -> Iterator[list[int]]:
    """Each way to write n (2 or more) as a sum of 2s and 3s, in order (2s first)."""
    if n in (2, 3):
        yield [n]
    for size in (2, 3):
        if n - size >= 2:
            for rest in _cuts(n - size):
                yield [size, *rest]


def _bigrams(run: str, cut: list[int]) -> list[str]:
    out, at = [], 0
    for size in cut:
        out += [run[i : i + 2] for i in range(at, at + size - 1)]
        at += size
    return out


def relaxed_query_tokens(text: str) -> list[list[str]]:
    """Token sets, one of which a document must hold, for a query whose strict tokens matched
    nothing; empty when no CJK run is long enough to relax. Each set is a subset of
    query_tokens(text), so the relaxed results include whatever the strict query finds.

    The cuts of every long run are combined; past MAX_CUTS combinations each run keeps only its
    first cut (2-character chunks, the last one 3 when the run is odd).
    """
    runs = _runs(text)
    if not any(cjk and len(run) >= RELAX_MIN for cjk, run in runs):
        return []
    options = [
        [_bigrams(run, cut) for cut in itertools.islice(_cuts(len(run)), MAX_CUTS + 1)]
        if cjk and len(run) >= RELAX_MIN
        else [query_tokens(run)]
        for cjk, run in runs
    ]
    if math.prod(len(choices) for choices in options) > MAX_CUTS:
        options = [choices[:1] for choices in options]
    sets = [list(dict.fromkeys(t for part in parts for t in part)) for parts in itertools.product(*options)]
    # A set holding all of another's tokens finds nothing more: keep the first of equal ones.
    kept: list[list[str]] = []
    for i, tokens in enumerate(sets):
        mine = set(tokens)
        if not any(set(other) < mine or (set(other) == mine and j < i) for j, other in enumerate(sets)):
            kept.append(tokens)
    return kept


def joined(tokens: list[str]) -> str:
    return " ".join(tokens)
