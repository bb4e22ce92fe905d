"""Routes of the ledger: thin; each reads input, calls one service, commits, renders. One module
per blueprint (staff, unit, member, public), plus the template helpers; `init_app` imports them.

Who may open what is decided here once per view (roles) and in services.visibility.task_for_user
(ownership: a liaison reads only their own unit's tasks; anything else is a 404)."""
