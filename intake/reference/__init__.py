"""Reference data: the county's units (departments) and the feedback categories."""
