"""rq jobs of triage: suggestions for a new item, and a staff reply sent after its commit."""
from intake.extensions import db
from intake.mailbox import outgoing
from intake.mailbox import services as mailbox_services
from intake.triage import services
from intake.triage.models import ReplyState, StaffReply
from intake.triage.suggestions import apply_suggestions

SEND_REPLY_JOB = "workers.triage_jobs.send_staff_reply"


def suggest(item_id: int) -> str:
    suggestion = apply_suggestions(item_id)
    db.session.commit()
    return "missing" if suggestion is None else "suggested"


def send_staff_reply(reply_id: int) -> str:
    """Send one reply to the reporter and keep it in the item's thread. Sent once: a retry after
    a send that was recorded does nothing."""
    reply = db.session.get(StaffReply, reply_id)
    if reply is None:
        return "missing"
    if reply.state is ReplyState.sent:
        return "already sent"
    item = reply.item
    name = item.reporter.name if item.reporter is not None else None
    message = outgoing.compose(outgoing.STAFF_REPLY, item=item, to=(name, reply.to_addr), subject=reply.subject,
                               message_id=reply.message_id, body=reply.body)
    outgoing.send(message)
    entry = mailbox_services.record_outbound(item, message)
    entry.is_auto = False  # a person wrote it
    services.mark_reply_sent(reply)
    db.session.commit()
    return "sent"
