"""Error pages in the user's language, and the security headers every response carries."""

from flask import Flask, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from intake.core.params import Refused


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _(
            "This form has expired or was sent from another page. Please go back, reload the page and submit again. What you typed is kept by the back button."
        )
        return render_template("error.html", code=400, title=_("Form expired"), message=message), 400

    @app.errorhandler(400)
    def bad_request(error):
        # intake.core.params words its refusals; Werkzeug's own descriptions are English.
        if isinstance(error, Refused):
            message = error.description
        else:
            message = _("This page cannot use what was sent. Please check the address or the form and try again.")
        if request_ctx.url_adapter is None:
            # The Host header itself was refused: not one link of a page could be built.
            return message, 400, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("error.html", code=400, title=_("Bad request"), message=message, back=True), 400

    @app.errorhandler(403)
    def forbidden(error):
        return render_template(
            "error.html", code=403, title=_("Not allowed"), message=_("Your account may not open this page.")
        ), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template(
            "error.html", code=404, title=_("Not found"), message=_("This page does not exist.")
        ), 404

    @app.errorhandler(405)
    def wrong_method(error):
        response = app.make_response(
            (
                render_template(
                    "error.html",
                    code=405,
                    title=_("This page cannot be opened by address"),
                    message=_("It is the answer to a form. Go back to the page with the form and send it again."),
                    back=True,
                ),
                405,
            )
        )
        response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(413)
    def too_large(error):
        mb = app.config["MAX_UPLOAD_MB"]
        files = app.config["MAX_UPLOAD_FILES"]
        message = _(
            "The files you attached are too large. Each file may be at most %(mb)d MB, and at most %(n)d files. Go back, remove or shrink some files and submit again; your text is still in the form.",
            mb=mb,
            n=files,
        )
        return render_template("error.html", code=413, title=_("Files too large"), message=message, back=True), 413

    @app.errorhandler(500)
    def server_error(error):
        return render_template(
            "error.html", code=500, title=_("Something went wrong"), message=_("Please try again in a moment.")
        ), 500

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        )
        if request.path.startswith(("/staff", "/auth")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
