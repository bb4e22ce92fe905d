"""The public form end to end through the test client, on both databases."""
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus
from tests.conftest import csrf_token_from


def test_chinese_submission_gets_tracking_code(app, client):
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    response = client.post(
        "/jiandu/",
        data={"csrf_token": token, "kind": "complaint", "unit_id": "1", "category_id": "0",
              "body": "政务大厅3号窗口工作人员态度很差，让我跑了三次。", "name": "张三"},
    )
    assert response.status_code == 303
    page = client.get("/jiandu/submitted").get_data(as_text=True)
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert item.status is ItemStatus.pending
        assert item.tracking_code in page
        assert item.lookup_secret in page
        assert item.reporter.name == "张三"
