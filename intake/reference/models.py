"""Units (the county's government departments) and two-level feedback categories."""

from datetime import datetime

from flask_babel import get_locale
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import true as sa_true

from intake.extensions import db
from intake.timeutil import utcnow


class LocalizedNameMixin:
    """Reference rows carry their own names in each UI language; Simplified is canonical."""

    name: Mapped[str]
    name_zh_hant: Mapped[str | None]
    name_en: Mapped[str | None]

    @property
    def display_name(self) -> str:
        locale = str(get_locale() or "zh_Hans")
        if locale == "zh_Hant" and self.name_zh_hant:
            return self.name_zh_hant
        if locale == "en" and self.name_en:
            return self.name_en
        return self.name


class Unit(LocalizedNameMixin, db.Model):
    """A county department or body reports can be routed to; some are drawn each year for listed
    supervision (挂牌监督)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    name_zh_hant: Mapped[str | None] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(50))
    # Comma-separated other names people use (政务大厅, 便民窗口, ...), for matching reports.
    aliases: Mapped[str] = mapped_column(Text, default="")
    # Responsibilities (职能): a short summary of its 三定 description, businesses separated by
    # 、 (社会保险经办、养老金…). Evidence of whose business a report is about.
    duties: Mapped[str] = mapped_column(Text, default="")
    # May be drawn by lot (抽签): the county government's departments. Bodies under vertical
    # management (县税务局) and people's organisations (人民团体) are not; reports still reach them.
    # Which units are supervised in a year is the year's cycle's list (intake.program).
    lottery_eligible: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.split(",") if a.strip()]

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name}>"


class Category(LocalizedNameMixin, db.Model):
    """A feedback category; top-level groups (工作作风, 营商环境, ...) have children."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(String(100))
    name_zh_hant: Mapped[str | None] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    # Comma-separated keywords, used by triage's rule-based suggestions.
    keywords: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(back_populates="parent", order_by="Category.sort_order")

    @property
    def full_name(self) -> str:
        if self.parent is None:
            return self.display_name
        return self.parent.display_name + " / " + self.display_name

    def __repr__(self) -> str:
        return f"<Category {self.code} {self.name}>"
