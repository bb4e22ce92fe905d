"""Role checks for views: who may see a page is decided here, once, per route."""

from functools import wraps

from flask import abort
from flask_login import current_user

from intake.auth.models import Role


def roles_required(*roles: Role):
    """Login required; a signed-in user without one of `roles` gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from intake.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(Role.admin, Role.staff)
admin_required = roles_required(Role.admin)
liaison_required = roles_required(Role.liaison)
member_required = roles_required(Role.member)
# Members, and staff recording on their behalf: verification visits, meetings.
member_or_staff_required = roles_required(Role.member, Role.staff, Role.admin)
