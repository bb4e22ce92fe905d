"""Full-text search of reports that works for Chinese on both databases.

Chinese has no spaces, so word tokenizers find nothing. SQLite: an FTS5 table with the trigram
tokenizer (external content, kept in step by triggers). PostgreSQL: pg_trgm GIN indexes on the
subject and the body, used by LIKE/ILIKE. Trigrams need three characters: shorter queries (态度,
窗) fall back to LIKE on SQLite (a scan, fine at county scale); on PostgreSQL a GIN index of every
character and character pair (feedback_grams(), migration 0006) finds them when they are rare,
and LIKE along the keyset index when they are frequent (the first matches are near the top).

A query is searched as written and in the other script, so 態度 finds 态度 and back."""

import json

from sqlalchemy import ColumnElement, Integer, and_, any_, column, literal, or_, text
from sqlalchemy.dialects.postgresql import ARRAY
from zhconv import convert

from intake.extensions import db
from intake.feedback.models import FeedbackItem

FTS_TABLE = "feedback_items_fts"
GRAMS_INDEX = "ix_feedback_items_grams"
TRGM_INDEXES = ("ix_feedback_items_subject_trgm", "ix_feedback_items_body_trgm", GRAMS_INDEX)
MAX_QUERY = 100
# Above this many matching rows (the planner's estimate, then a capped probe) a one- or
# two-character query is answered by LIKE along the keyset index: it meets enough matches near
# the top. Below it, the ids come from the grams index and the page sorts only those.
RARE_GRAM_ROWS = 20_000

# Made by migration 0004 with dialect branches (an FTS5 table and triggers on SQLite, pg_trgm
# GIN indexes on PostgreSQL); not in the models' metadata, so Alembic leaves them alone.


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: the search tables and indexes are dialect-specific and made by hand."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and name in TRGM_INDEXES:
        return False
    return True


def variants(query: str) -> list[str]:
    """The query as written, in Simplified and in Traditional (deduplicated)."""
    query = " ".join(query.split())[:MAX_QUERY]
    found = []
    for v in (query, convert(query, "zh-cn"), convert(query, "zh-tw")):
        if v and v not in found:
            found.append(v)
    return found


def _like_pattern(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _like(value: str) -> ColumnElement:
    pattern = _like_pattern(value)
    # Chinese has no case: plain LIKE (three times faster than ILIKE on PostgreSQL, and still
    # served by the trigram index); ILIKE only when the query has letters with case.
    if db.session.get_bind().dialect.name == "postgresql" and value.lower() != value.upper():
        return or_(FeedbackItem.subject.ilike(pattern, escape="\\"), FeedbackItem.body.ilike(pattern, escape="\\"))
    return or_(FeedbackItem.subject.like(pattern, escape="\\"), FeedbackItem.body.like(pattern, escape="\\"))


def _fts_phrase(value: str) -> str:
    # One FTS5 string: the whole query as a phrase (double quotes doubled inside).
    return '"' + value.replace('"', '""') + '"'


def search_condition(query: str) -> ColumnElement | None:
    """A WHERE condition on FeedbackItem for a search box query (None for an empty one)."""
    found = variants(query or "")
    if not found:
        return None
    dialect = db.session.get_bind().dialect.name
    conditions = []
    for value in found:
        if dialect == "sqlite" and len(value) >= 3:
            conditions.append(
                FeedbackItem.id.in_(
                    text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_{len(conditions)}")
                    .bindparams(**{f"fts_{len(conditions)}": _fts_phrase(value)})
                    .columns(column("rowid", Integer))
                )
            )
        elif dialect == "postgresql" and len(value) <= 2:
            conditions.append(_short_condition(value))
        else:
            conditions.append(_like(value))
    return or_(*conditions)


_GRAMS_MATCH = "feedback_grams(subject, body) @> ARRAY[CAST(:gram AS text)]"


def _short_condition(value: str) -> ColumnElement:
    """A one- or two-character query on PostgreSQL. LIKE along the keyset index costs what it
    must walk to meet a page of matches: nothing for 态度 (one report in four), the whole table
    for a word nobody used. So: rare words by their ids from the grams index; frequent ones by
    LIKE. The planner's estimate (array element statistics of the index) decides before the
    grams index is read, as reading it for a frequent word costs more than the page."""
    gram = value.lower()
    plan = db.session.execute(
        text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM feedback_items WHERE {_GRAMS_MATCH}"), {"gram": gram}
    ).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    if plan[0]["Plan"]["Plan Rows"] > RARE_GRAM_ROWS:
        return _like(value)
    ids = list(
        db.session.scalars(
            text(f"SELECT id FROM feedback_items WHERE {_GRAMS_MATCH} LIMIT :cap").bindparams(cap=RARE_GRAM_ROWS + 1),
            {"gram": gram},
        )
    )
    if len(ids) > RARE_GRAM_ROWS:
        return _like(value)
    # The grams are lower-cased; LIKE keeps the case rule of longer queries.
    return and_(FeedbackItem.id == any_(literal(ids, ARRAY(Integer))), _like(value))
