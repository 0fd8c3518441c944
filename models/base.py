"""Shared model pieces: the base of every model (rows built fast), timestamps in UTC."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model as TortoiseModel

# How a model's instances are built from a database row, per class: (the meta list the plan was
# made from, so a re-initialised ORM gets a new one; native, default and complex columns; the
# pk flag Tortoise sets).
_Columns = tuple[tuple[str, str, Any], ...]
_Plan = tuple[Any, tuple[tuple[str, str], ...], _Columns, _Columns, bool]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type[TortoiseModel]) -> _Plan:
    meta = cls._meta
    plan = _PLANS.get(cls)
    if plan is None or plan[0] is not meta.db_native_fields:
        plan = _PLANS[cls] = (
            meta.db_native_fields,
            tuple((key, name) for key, name, _ in meta.db_native_fields),
            tuple((key, name, field.field_type) for key, name, field in meta.db_default_fields),
            tuple((key, name, field.to_python_value) for key, name, field in meta.db_complex_fields),
            meta.db_pk_column not in meta.generated_db_fields,
        )
    return plan


class Model(TortoiseModel):
    """Tortoise's Model, with rows read from the database built without its per-attribute path.

    Tortoise's `_init_from_db` sets four flags through `Model.__setattr__` (which checks the
    relation fields on every set) and converts each column by its field; for a row of fifteen
    columns that is 10-15 µs, paid for every row of every page (a feed page builds ~150). This
    makes the same instance (the same conversions, flags and attributes: tested equal for every
    model) writing straight into its `__dict__`. A row without every column (`.only()`) goes to
    Tortoise's own, which marks it partial.
    """

    class Meta:
        abstract = True

    @classmethod
    def _init_from_db(cls, **kwargs: Any) -> Any:
        _, native, default, complex_, custom_pk = _plan(cls)
        self = cls.__new__(cls)
        state = self.__dict__
        state["_partial"] = False
        state["_saved_in_db"] = True
        state["_custom_generated_pk"] = custom_pk
        state["_await_when_save"] = {}
        try:
            for key, name in native:
                state[name] = kwargs[key]
            for key, name, field_type in default:
                value = kwargs[key]
                state[name] = value if value is None else field_type(value)
            for key, name, convert in complex_:
                state[name] = convert(kwargs[key])
        except KeyError:
            return super()._init_from_db(**kwargs)
        return self


class CreatedAtMixin:
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
