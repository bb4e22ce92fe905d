"""factory_boy factories for the service inputs, and a helper that runs them through the
service, so tests build items the way production does (sequence, reporter, first event)."""

import io

import factory

from intake.feedback import services
from intake.feedback.models import Kind, Source

# The smallest valid PNG (1x1, transparent): passes the content sniffing of the upload check.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
PDF_MINIMAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What a Windows executable starts with: no image signature.
EXE_HEAD = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240


class ReporterInputFactory(factory.Factory):
    class Meta:
        model = services.ReporterInput

    name = factory.Sequence(lambda n: f"李{n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")
    email = factory.Sequence(lambda n: f"reporter{n}@example.cn")


class SubmissionInputFactory(factory.Factory):
    class Meta:
        model = services.SubmissionInput

    source = Source.web
    kind = Kind.complaint
    body = factory.Sequence(lambda n: f"政务大厅便民窗口第{n}次让我白跑一趟，工作人员说系统故障。")
    subject = None
    reporter = factory.SubFactory(ReporterInputFactory)
    client_ip = "127.0.0.1"


def upload(name: str = "照片.png", data: bytes = PNG_1X1, content_type: str = "image/png"):
    return services.UploadInput(filename=name, content_type=content_type, stream=io.BytesIO(data))


def create_item(prefix: str = "JD", actor_id: int | None = None, **fields):
    """Submit an item through the service (flushes; the caller commits)."""
    return services.submit_feedback(SubmissionInputFactory.build(**fields), tracking_prefix=prefix, actor_id=actor_id)
