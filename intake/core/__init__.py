"""Helpers every domain shares (jobs, uploads, downloads, form values): the bottom layer,
importing no domain."""
