"""Reading and seeding reference data (units, categories)."""

import time

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.reference.models import Category, Unit
from intake.reference.seed_data import CATEGORIES, UNITS

# ORDER BY terms that put some units first in every list (the program registers "under listed
# supervision this year"): reference data knows nothing of the layers above it.
_UNIT_ORDER_FIRST: list = []


def order_units_first(term_factory) -> None:
    """Register a function returning an ORDER BY term for the lists of units (once per process)."""
    if term_factory not in _UNIT_ORDER_FIRST:
        _UNIT_ORDER_FIRST.append(term_factory)


def unit_order() -> list:
    return [factory() for factory in _UNIT_ORDER_FIRST] + [Unit.sort_order, Unit.id]


def active_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.is_active.is_(True)).order_by(*unit_order())))


def _cached_choices(kind: str, build) -> list[tuple[int, str]]:
    """Choice lists per UI language, kept REFERENCE_CACHE_SECONDS in this process: every form
    view and every submission needs them, and they change a few times a year."""
    ttl = current_app.config.get("REFERENCE_CACHE_SECONDS", 0)
    if not ttl:
        return build()
    cache = current_app.extensions.setdefault("intake_reference_choices", {})
    key = (kind, str(get_locale()))
    now = time.monotonic()
    hit = cache.get(key)
    if hit is None or hit[0] <= now:
        hit = cache[key] = (now + ttl, build())
    return hit[1]


def forget_cached_choices() -> None:
    """Call after editing units or categories, so this process shows the change at once."""
    current_app.extensions.pop("intake_reference_choices", None)


def _unit_choices() -> list[tuple[int, str]]:
    return [(unit.id, unit.display_name) for unit in active_units()]


def _category_choices() -> list[tuple[int, str]]:
    tops = db.session.scalars(
        select(Category)
        .where(Category.parent_id.is_(None), Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)
        # All children in one more query, not one query per group.
        .options(selectinload(Category.children))
    )
    choices = []
    for top in tops:
        children = [c for c in top.children if c.is_active]
        if children:
            choices.extend((c.id, c.full_name) for c in children)
        else:
            choices.append((top.id, top.display_name))
    return choices


def unit_choices(blank_label: str) -> list[tuple[int, str]]:
    """Choices with the units under listed supervision (挂牌监督) first."""
    return [(0, blank_label)] + _cached_choices("units", _unit_choices)


def staff_unit_choices(blank_label: str) -> list[tuple[int, str]]:
    """The same, each unit with its code beside its name, where staff pick or filter units:
    the code is what the command line (`--unit CODE`) and the import files take."""
    return [(0, blank_label)] + _cached_choices("units-coded", _coded_unit_choices)


def _coded_unit_choices() -> list[tuple[int, str]]:
    return [(unit.id, f"{unit.display_name} [{unit.code}]") for unit in active_units()]


def category_choices(blank_label: str) -> list[tuple[int, str]]:
    """Leaf categories, each shown with its group (工作作风 / 服务态度)."""
    return [(0, blank_label)] + _cached_choices("categories", _category_choices)


def seed_reference_data() -> tuple[int, int]:
    """Insert the county's units and the categories that are missing. Returns (units, categories)
    added. (The seed's demo supervised units are listed in a year's cycle by the program's
    `seed_listed_units`.)"""
    units_added = 0
    have_units = set(db.session.scalars(select(Unit.code)))
    for order, row in enumerate(UNITS):
        if row["code"] in have_units:
            continue
        unit = Unit(
            code=row["code"],
            name=row["name"],
            name_zh_hant=row["name_zh_hant"],
            name_en=row["name_en"],
            short_name=row.get("short_name"),
            aliases=",".join(row.get("aliases", [])),
            duties=row.get("duties", ""),
            lottery_eligible=row.get("lottery_eligible", True),
            sort_order=order,
        )
        db.session.add(unit)
        units_added += 1
    db.session.flush()
    categories_added = 0
    have_categories = {c.code: c for c in db.session.scalars(select(Category))}
    for order, row in enumerate(CATEGORIES):
        parent = have_categories.get(row["code"])
        if parent is None:
            parent = Category(
                code=row["code"],
                name=row["name"],
                name_zh_hant=row["name_zh_hant"],
                name_en=row["name_en"],
                keywords=",".join(row.get("keywords", [])),
                sort_order=order,
            )
            db.session.add(parent)
            categories_added += 1
        for child_order, child in enumerate(row.get("children", [])):
            if child["code"] in have_categories:
                continue
            db.session.add(
                Category(
                    code=child["code"],
                    parent=parent,
                    name=child["name"],
                    name_zh_hant=child["name_zh_hant"],
                    name_en=child["name_en"],
                    keywords=",".join(child.get("keywords", [])),
                    sort_order=child_order,
                )
            )
            categories_added += 1
    db.session.flush()
    return units_added, categories_added
