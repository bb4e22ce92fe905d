"""The ready questionnaire per supervised unit: the questions the article's groups asked the
people a unit serves (服务满意吗, 等了多久, 跑了几次, 重点需要解决的问题, 意见建议)."""

from intake.surveys.models import QuestionKind


def template_questions(unit_name: str) -> list[dict]:
    """Question definitions as `services.replace_questions` takes them."""
    return [
        {
            "name": "satisfaction",
            "kind": QuestionKind.single,
            "label": f"您对{unit_name}的服务满意吗？",
            "required": True,
            "choices": [("satisfied", "满意"), ("basically", "基本满意"), ("dissatisfied", "不满意")],
        },
        {
            "name": "why_not",
            "kind": QuestionKind.multiple,
            "label": "您不满意的主要方面是什么？（可多选）",
            "required": True,
            "choices": [
                ("attitude", "服务态度"),
                ("speed", "办事效率"),
                ("papers", "材料要求多、反复补材料"),
                ("fees", "收费"),
                ("other", "其他"),
            ],
            "show_if": ("satisfaction", "dissatisfied"),
        },
        {
            "name": "waited",
            "kind": QuestionKind.single,
            "label": "您在这里等了多久？",
            "required": True,
            "choices": [
                ("w10", "10分钟以内"),
                ("w30", "10至30分钟"),
                ("w60", "30分钟至1小时"),
                ("w60plus", "1小时以上"),
            ],
        },
        {
            "name": "trips",
            "kind": QuestionKind.number,
            "label": "办这件事您一共跑了几次？",
            "hint": "填数字，今天这次也算。",
            "required": True,
        },
        {
            "name": "attitude",
            "kind": QuestionKind.rating,
            "label": "请为窗口工作人员的服务态度打分（1分最低，5分最高）",
            "required": False,
        },
        {
            "name": "key_problem",
            "kind": QuestionKind.text,
            "label": f"您认为{unit_name}重点需要解决的问题是什么？",
            "required": False,
        },
        {"name": "suggestions", "kind": QuestionKind.text, "label": "您有哪些意见建议？", "required": False},
    ]


def template_title(unit_name: str, year: int) -> str:
    return f"{year}年{unit_name}服务对象满意度调查问卷"


TEMPLATE_INTRO = (
    "为了解群众和企业对本单位服务的评价，县政协民主监督小组开展本次问卷调查。"
    "问卷不记名，不收集您的姓名、电话和位置，约需2分钟。感谢您的支持！"
)
