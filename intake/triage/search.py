"""Full-text search of reports that works for Chinese on both databases.

Chinese has no spaces, so word tokenizers find nothing. SQLite: an FTS5 table with the trigram
tokenizer (external content, kept in step by triggers). PostgreSQL: pg_trgm GIN indexes on the
subject and the body, used by ILIKE. Trigrams need three characters: shorter queries (态度) fall
back to LIKE on SQLite; on PostgreSQL ILIKE still answers, scanning the GIN index.

A query is searched as written and in the other script, so 態度 finds 态度 and back."""
from sqlalchemy import ColumnElement, Integer, column, or_, text
from zhconv import convert

from intake.extensions import db
from intake.feedback.models import FeedbackItem

FTS_TABLE = "feedback_items_fts"
TRGM_INDEXES = ("ix_feedback_items_subject_trgm", "ix_feedback_items_body_trgm")
MAX_QUERY = 100

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
            conditions.append(FeedbackItem.id.in_(
                text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_{len(conditions)}")
                .bindparams(**{f"fts_{len(conditions)}": _fts_phrase(value)})
                .columns(column("rowid", Integer))
            ))
        else:
            conditions.append(_like(value))
    return or_(*conditions)
