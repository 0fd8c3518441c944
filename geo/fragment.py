"""SQL text with its values, placed inside a Tortoise query as bound parameters.

A spatial filter depends on the caller's point; written into the SQL as literals, it made the
whole statement's text differ per point, so PostgreSQL planned it on every request and asyncpg's
statement cache never hit. As a fragment, its values become parameters of the query it is placed
in, numbered where it lands ($n on PostgreSQL, ? on SQLite): the text depends on the shape only.
"""

from __future__ import annotations

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Term, ValueWrapper

MARK = "{}"


class SqlFragment(Term):
    """`template` with each `{}` standing for the next value (templates hold no other braces)."""

    def __init__(self, template: str, *values: object) -> None:
        super().__init__()
        self.parts = tuple(template.split(MARK))
        if len(self.parts) != len(values) + 1:
            raise ValueError(f"{len(values)} values for {len(self.parts) - 1} marks")
        self.values = values
        self.bound = True

    def inlined(self) -> SqlFragment:
        """The same fragment with its values written as literals: for a statement that should be
        planned for its own values every time (see restaurants' count)."""
        copy = SqlFragment(MARK.join(self.parts), *self.values)
        copy.bound = False
        return copy

    def get_sql(self, ctx: SqlContext) -> str:
        """Each value through the query's parameterizer (a literal where the query is rendered
        without one, or `inlined`), in text order, so numbering follows placement."""
        out = [self.parts[0]]
        for value, part in zip(self.values, self.parts[1:], strict=True):
            # A term (a `core.loaders.Slot`: a statement rendered once per shape) renders itself.
            term = value if isinstance(value, Term) else ValueWrapper(value, allow_parametrize=self.bound)
            out += (term.get_sql(ctx), part)
        return "".join(out)

    def shape(self) -> tuple[str, ...]:
        """The text around the values: fragments with equal shapes differ in values only."""
        return self.parts
