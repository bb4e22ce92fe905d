"""Staff routes: the queue, an item and what staff do with it, its files and mail bodies, and
the admin pages of triage (rules, templates). One module each; `init_app` imports them."""
