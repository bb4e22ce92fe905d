import pytest

from intake.extensions import db
from intake.program import services


@pytest.fixture
def cycle_2027(app):
    """An empty 2027 cycle (the seed's units are listed in 2026's)."""
    with app.app_context():
        services.create_cycle(2027)
        db.session.commit()
    return 2027


@pytest.fixture
def committed_2027(app, cycle_2027):
    with app.app_context():
        services.commit_draw(
            2027, 2, "福彩3D 第2027095期 开奖号码", "N N N", {"zwfw": "上年度已挂牌监督", "gk": "上年度已挂牌监督"}
        )
        db.session.commit()
    return 2027
