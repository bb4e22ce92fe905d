"""Printable documents (实施方案 now; the annual notification and the plaques later): HTML
templates rendered to A4 PDF by WeasyPrint with the Noto CJK fonts embedded, and Word files
with python-docx. Callers pass plain values; nothing here reads the request."""

from intake.printing.dates import chinese_date

__all__ = ["chinese_date"]
