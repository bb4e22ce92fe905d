"""Dates the way an official document (公文) writes them: 二〇二六年十二月六日."""

from datetime import date

DIGITS = "〇一二三四五六七八九"


def _small_number(n: int) -> str:
    """1–31 in Chinese numerals: 十, 十一, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")
    return text + (DIGITS[ones] if ones else "")


def chinese_date(day: date) -> str:
    year = "".join(DIGITS[int(ch)] for ch in str(day.year))
    return year + "年" + _small_number(day.month) + "月" + _small_number(day.day) + "日"
