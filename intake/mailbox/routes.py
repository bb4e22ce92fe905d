"""Staff routes of the mailbox: quarantined and over-size mail, operator alerts, replay."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.extensions import db
from intake.mailbox import bp, services
from intake.mailbox.forms import ReplayForm
from intake.mailbox.jobs import dispatch_inbound, dispatch_refetch
from intake.mailbox.models import InboundMessage, InboundState
from intake.mailbox.quarantine import ReplayError, replay_inbound
from intake.security import staff_required


@bp.get("/")
@staff_required
def quarantine():
    return render_template(
        "mailbox/quarantine.html",
        counts=services.state_counts(),
        messages=services.set_aside(),
        alerts=services.alerts(),
        form=ReplayForm(),
    )


@bp.get("/<int:inbound_id>")
@staff_required
def message(inbound_id: int):
    row = db.get_or_404(InboundMessage, inbound_id)
    return render_template("mailbox/message.html", message=row, form=ReplayForm())


@bp.post("/<int:inbound_id>/replay")
@staff_required
def replay(inbound_id: int):
    row = db.get_or_404(InboundMessage, inbound_id)
    form = ReplayForm()
    if not form.validate_on_submit():
        return render_template("mailbox/message.html", message=row, form=form), 400
    if row.state is InboundState.oversize:
        if dispatch_refetch(inbound_id):
            flash(
                _(
                    "The message is being fetched anew from the mailbox (up to %(mb)s MB), then processed.",
                    mb=current_app.config["MAX_REPLAY_MESSAGE_MB"],
                )
            )
        else:
            flash(_("The message cannot be fetched now; try again later."))
        return redirect(url_for("mailbox.message", inbound_id=inbound_id), code=303)
    try:
        replay_inbound(inbound_id, actor_id=current_user.id)
    except ReplayError:
        flash(_("Only a quarantined message can be replayed."))
        return redirect(url_for("mailbox.message", inbound_id=inbound_id), code=303)
    db.session.commit()
    dispatch_inbound([inbound_id])
    flash(_("The message was sent through the mailbox pipeline again."))
    return redirect(url_for("mailbox.quarantine"), code=303)
