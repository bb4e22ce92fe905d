"""Masking as people really write contact details, and the ordinary numbers it must leave alone."""

import pytest

from intake.rectification.masking import mask_name, mask_text


@pytest.mark.parametrize(
    ("written", "hidden"),
    [
        ("电话１３８００１３８０００，请回电", "１３８００１３８０００"),
        ("手机 138 0013 8000", "0013"),
        ("手机：138-0013-8000", "0013"),
        ("+86 138 0013 8000", "0013"),
        ("手机１３８　００１３　８０００", "００１３"),
        ("座机 (0871) 6512 3456", "6512"),
        ("座机０８７１－６５１２３４５６", "６５１２"),
        ("身份证 530102 19900307 123X", "19900307"),
        ("身份证530102199003071234", "19900307"),
        ("我是欧阳先生", "欧阳"),
        ("司马女士和諸葛先生", "司马"),
        ("諸葛先生", "諸葛"),
        ("邮箱 zhangsan at qq dot com", "zhangsan"),
        ("zhangsan(at)qq.com", "zhangsan"),
        ("ｚｈａｎｇｓａｎ＠ｑｑ．ｃｏｍ", "ｚｈａｎｇｓａｎ"),
        ("lisi#163.com", "lisi"),
        ("wang 艾特 sina 点 com", "wang"),
        ("微信：wx_zhang88", "zhang88"),
    ],
)
def test_contact_details_as_people_write_them_are_masked(written, hidden):
    masked = mask_text(written)
    assert hidden not in masked, masked
    assert "*" in masked


@pytest.mark.parametrize(
    "ordinary",
    [
        "2026-12-07 上午10:30，跑了3次，等了45分钟",
        "编号ZX-2026-000123，金额12000元",
        "订单号2026120712345678",
        "张先生说三号窗口下午不开",
        "meet me at home. done",
        "1.5小时，排队号A032",
    ],
)
def test_ordinary_numbers_and_words_are_left_alone(ordinary):
    assert mask_text(ordinary) == ordinary


def test_names_keep_only_their_first_character():
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("张三") == "张*"
