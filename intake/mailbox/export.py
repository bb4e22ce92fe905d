"""Exports of feedback items for staff to hand to leaders: JSON Lines, CSV and Excel (xlsx),
one record per item, Chinese intact in Excel and WPS."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.feedback.models import FeedbackItem

FIELDS = [
    "tracking_code",
    "source",
    "status",
    "received_at",
    "subject",
    "body_text",
    "reporter_name",
    "reporter_email",
    "unit",
    "category",
    "message_id",
    "charset",
    "is_auto",
    "attachments",
    "thread_messages",
    "mail_subject",  # last, so the columns of earlier exports keep their places
]
BATCH = 500
# Excel refuses cells longer than this.
XLSX_CELL_LIMIT = 32767


def _category_name(category) -> str | None:
    if category is None:
        return None
    return f"{category.parent.name} / {category.name}" if category.parent else category.name


def item_records(since: datetime | None = None) -> Iterator[dict]:
    """One dict per item, oldest first, loaded in batches."""
    from intake.mailbox.models import InboundMessage, ThreadEntry

    last_id = 0
    while True:
        query = (
            select(FeedbackItem)
            .where(FeedbackItem.id > last_id)
            .options(
                selectinload(FeedbackItem.reporter),
                selectinload(FeedbackItem.unit),
                selectinload(FeedbackItem.category),
                selectinload(FeedbackItem.attachments),
            )
            .order_by(FeedbackItem.id)
            .limit(BATCH)
        )
        if since is not None:
            query = query.where(FeedbackItem.received_at >= since)
        items = db.session.scalars(query).all()
        if not items:
            return
        ids = [i.id for i in items]
        threads = dict(
            db.session.execute(
                select(ThreadEntry.item_id, func.count())
                .where(ThreadEntry.item_id.in_(ids))
                .group_by(ThreadEntry.item_id)
            ).all()
        )
        first_mail = {}
        for item_id, message_id, charset, subject in db.session.execute(
            select(InboundMessage.item_id, InboundMessage.message_id, InboundMessage.charset, InboundMessage.subject)
            .where(InboundMessage.item_id.in_(ids))
            .order_by(InboundMessage.id)
        ):
            first_mail.setdefault(item_id, (message_id, charset, subject))
        for item in items:
            message_id, charset, mail_subject = first_mail.get(item.id, (None, None, None))
            reporter = item.reporter
            yield {
                "tracking_code": item.tracking_code,
                "source": item.source.value,
                "status": item.status.value,
                "received_at": item.received_at.isoformat(timespec="seconds") + "Z",
                "subject": item.subject,
                "body_text": item.body,
                "reporter_name": reporter.name if reporter else None,
                "reporter_email": reporter.email if reporter else None,
                "unit": item.unit.name if item.unit else None,
                "category": _category_name(item.category),
                "message_id": message_id,
                "charset": charset,
                "is_auto": item.is_auto,
                "attachments": [
                    {"filename": a.original_name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
                    for a in item.attachments
                ],
                "thread_messages": threads.get(item.id, 0),
                # The first mail's subject as received (the title drops Re:/Fw:, or is the body's start).
                "mail_subject": mail_subject,
            }
        last_id = ids[-1]
        db.session.expunge_all()


def _flat(record: dict) -> list:
    row = []
    for name in FIELDS:
        value = record[name]
        if name == "attachments":
            value = "; ".join(
                f"{a['filename']} ({a['content_type']}, {a['size']} B, sha256 {a['sha256']})" for a in value
            )
        row.append(value)
    return row


def write_jsonl(records, out) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records, out) -> int:
    # The BOM is what makes Excel read UTF-8 CSV as UTF-8 instead of the ANSI code page.
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(FIELDS)
    count = 0
    for record in records:
        writer.writerow(["" if v is None else _defuse(v) for v in _flat(record)])
        count += 1
    return count


def _defuse(value):
    # A leading = + - @ would be read as a formula (CSV/formula injection) by Excel and WPS.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _xlsx_cell(value):
    value = _defuse(value)
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_CELL_LIMIT]
    return value


def write_xlsx(records, path) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("items")
    sheet.append(FIELDS)
    count = 0
    for record in records:
        sheet.append([_xlsx_cell(v) for v in _flat(record)])
        count += 1
    workbook.save(path)
    return count


def export(fmt: str, out_path: str | None, since: datetime | None = None) -> int:
    records = item_records(since)
    if fmt == "xlsx":
        if not out_path:
            raise ValueError("xlsx needs an output file")
        return write_xlsx(records, out_path)
    if out_path:
        with open(out_path, "w", encoding="utf-8", newline="") as out:
            return (write_jsonl if fmt == "jsonl" else write_csv)(records, out)
    import sys

    stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        return (write_jsonl if fmt == "jsonl" else write_csv)(records, stream)
    finally:
        stream.detach()
