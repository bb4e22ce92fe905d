"""Plain-text values as forms and mail hand them over."""


def blank_to_none(value: str | None) -> str | None:
    """The value without surrounding white space; None when nothing is left."""
    if value is None:
        return None
    value = value.strip()
    return value or None
