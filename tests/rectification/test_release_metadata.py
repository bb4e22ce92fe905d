"""A photo released to a unit reaches it without GPS position, camera or owner; staff see what
was removed, and are warned before releasing a file that cannot be cleaned."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Attachment
from tests.conftest import AuthActions
from tests.core.test_metadata import phone_photo
from tests.factories import upload
from tests.helpers import post_form


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # files, not the database
def test_a_released_photo_reaches_the_unit_without_its_metadata(app, users, ledger):
    item_id = ledger.item(
        uploads=[
            upload("现场.jpg", phone_photo(), "image/jpeg"),
            upload("转发的邮件.eml", b"From: ouyang@example.cn\n\nhello", "message/rfc822"),
        ]
    )
    task_id = ledger.route([item_id])
    with app.app_context():
        photo, mail = db.session.scalars(select(Attachment.id).order_by(Attachment.id)).all()
    staff = app.test_client()
    AuthActions(staff).login("staff")
    task_url = f"/staff/rectification/tasks/{task_id}"
    page = staff.get(task_url).get_data(as_text=True)
    assert f'data-metadata-warning="{mail}"' in page and f'data-metadata-warning="{photo}"' not in page

    assert post_form(staff, f"{task_url}/release/{photo}", {}, get_url=task_url).status_code == 303
    page = staff.get(task_url).get_data(as_text=True)
    assert f'data-metadata-removed="{photo}"' in page
    assert "GPS 位置" in page and "相机品牌、型号或序列号" in page and "机主或作者姓名" in page

    liaison = app.test_client()
    AuthActions(liaison).login("liaison")
    response = liaison.get(f"/unit/tasks/{task_id}/attachments/{photo}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    received = Image.open(io.BytesIO(response.get_data()))
    assert not received.getexif() and b"iPhone" not in response.get_data()
    # The original is kept for staff, untouched.
    with app.app_context():
        from intake.storage import path_for

        original = path_for(db.session.get(Attachment, photo).stored_name).read_bytes()
    assert b"iPhone" in original
