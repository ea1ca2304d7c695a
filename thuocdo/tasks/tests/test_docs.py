"""docs/workflow.md shows the transition table exactly as the code has it."""

from __future__ import annotations

from pathlib import Path

from thuocdo.tasks.workflow import TRANSITIONS

DOC = Path(__file__).resolve().parents[3] / "docs" / "workflow.md"
ORDER = ["assigned", "in_progress", "waiting_guidance", "submitted", "done", "cancelled"]


def test_the_documented_table_is_the_code():
    text = DOC.read_text(encoding="utf-8")
    for kind, t in TRANSITIONS.items():
        sources = ", ".join(s for s in ORDER if s in t.sources)
        row = (f"| `{kind}` | {sources} | {t.target or '(unchanged)'} | {t.actor} | "
               f"{', '.join(t.required) or '—'} |")
        assert row in text, f"docs/workflow.md lacks or misstates: {row}"
    documented = [line for line in text.splitlines() if line.startswith("| `")]
    actions = [line for line in documented if line.split("`")[1] in TRANSITIONS]
    assert len(actions) == len(TRANSITIONS)
