"""Triage suggestions (issue 4): pure logic, no app, no database.

Rules (unit names, aliases, category keywords), a learned classifier on top, near-duplicate
grouping and priority hints. Everything here takes and returns plain values so a route, a job
and a CLI command can share it; the caller loads reference rows and stores results.

    rules.RuleSet.from_rows(units=..., categories=...).suggest(subject, body) -> Suggestions
    classifier.train(examples) -> Model;  Model.predict(text) -> Prediction
    classifier.combine(suggestions, prediction) -> Suggestions   (issue 4; kept for the module CLI)
    evidence.Scorer.from_rows(units=..., categories=..., duties=...).judge(subject, body, probabilities)
        -> Suggestions: every kind of evidence in one calibrated score, abstaining (issue 17)
    evaluation.evaluate_set(rows, judge, auto_apply) -> SetEvaluation
    duplicates.DuplicateIndex().add(item_id, text) / .similar(text, threshold)
    priority.priority_hint(subject, body) -> PriorityHint
"""
