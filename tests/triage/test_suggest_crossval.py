"""Leave-one-writer-out validation (issue 17): each writer is judged by a model trained on the
others' reports only, three ways; and the category words are features of the category head."""

import json

from intake.triage.suggest import classifier, crossval
from intake.triage.suggest.evidence import seed_scorer

REPORTS = [
    ("窗口工作人员态度很差，一直玩手机还吼人", "ga", "taidu"),
    ("办事的同志不耐烦，脸色难看", "rs", "taidu"),
    ("排队等了三个小时还没轮到", "yb", "xiaolv"),
    ("审批拖了半年没有结果", "zr", "xiaolv"),
    ("办证的人暗示要表示表示，还索要好处费", "sc", "lianjie"),
    ("让我找他们指定的测绘公司，收了红包才给办", "zr", "lianjie"),
    ("感谢窗口的同志热情周到，点赞", "sw", "biaoyang"),
    ("医保窗口的大姐耐心讲解，非常感谢", "yb", "biaoyang"),
]


def _writers(tmp_path):
    writers = []
    for name in ("a", "b", "c"):
        rows = [
            {"text": f"{text}（{name}{i}）", "unit": unit, "category": category}
            for i, (text, unit, category) in enumerate(REPORTS)
        ]
        (tmp_path / f"{name}.jsonl").write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8"
        )
        writers.append(crossval.Writer(name, (f"{name}.jsonl",)))
    return writers


def test_each_writer_is_judged_by_a_model_trained_on_the_others(tmp_path):
    writers = _writers(tmp_path)
    seen = []

    def train(examples, category_words):
        seen.append({e.text[-3:-1] for e in examples})
        return classifier.train(examples, category_words)

    folds = [crossval.run_fold(w, seed_scorer(), train, writers, tmp_path) for w in writers]
    # The fold of writer a trained on b and c only, and so on.
    assert all(not any(mark.startswith(w.name) for mark in marks) for w, marks in zip(writers, seen))
    assert [f.n for f in folds] == [len(REPORTS)] * 3 and folds[0].n_train == 2 * len(REPORTS)
    for fold in folds:
        assert set(fold.category) == {"full", "model", "evidence"}
        assert all(0 <= acc <= 1 and 0 <= f1 <= 1 for acc, f1 in fold.category.values())
    lines = crossval.report_lines(folds)
    assert lines[-1].startswith("| mean of writers |") and len(lines) == 2 + 3 + 1


def test_the_category_words_are_features_of_the_category_head_only():
    words = seed_scorer().category_words
    model = classifier.train([classifier.Example(t, u, c) for t, u, c in REPORTS], words)
    assert "[lianjie]" in model._feature_names["category"] and "[lianjie]" not in model._feature_names["unit"]
    assert model.heads["category"].linear.coef_.shape[1] == len(model._feature_names["category"])
    found = model.probabilities("他暗示要表示表示")
    assert max(found["category"], key=found["category"].get) == "lianjie"
