"""The meal's life after it is planned (filled in by the meal-life step)."""

from __future__ import annotations


async def meal_no_shows(user_id: int) -> int:
    return 0


async def attended_and_rated(user_id: int) -> tuple[int, int]:
    return 0, 0
