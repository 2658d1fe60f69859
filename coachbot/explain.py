"""Why an answer was chosen: the report behind the chat's ``/explain`` and
``coachbot ask --explain`` (the screen's hits, where the exercise came from, the intent
scores and the thresholds they were held against)."""

from __future__ import annotations

from .coach import AMBIGUITY_MARGIN, EXERCISE_EVIDENCE, MIN_SCORE, Coach, Turn
from .models import Reply
from .normalize import words


def explain(coach: Coach, question: str, reply: Reply) -> str:
    """Why ``reply`` answered ``question``: safety, exercise, intent scores, thresholds."""
    turn = coach.analyse(question)
    ws = words(question)
    flag = turn.assessment.red_flag
    hits = ", ".join(
        f'{h.category} "{" ".join(ws[h.start : h.end])}" ({h.context})'
        for h in turn.assessment.hits
    )
    safety = f"red flag {flag.category} ({flag.severity}, {flag.context})" if flag else "none"
    chosen = reply.intent or ("safety advice only" if flag else "none (not understood)")
    ranking = ", ".join(f"{m.intent} {m.score:.3f}" for m in turn.ranking[:5]) or "none"
    lines = [
        f'Why that answer to "{question}":',
        f"- Safety: {safety}; hits: {hits or 'none'}",
        f"- Exercise: {exercise_source(coach, reply, turn)}",
        f"- Top intents: {ranking}",
        f"- Chosen: {chosen}, confidence {reply.confidence:.2f}",
        f"- Thresholds: MIN_SCORE {MIN_SCORE} (below it: not understood; "
        f"{MIN_SCORE - EXERCISE_EVIDENCE:.2f} for a question about an exercise it names),"
        f" AMBIGUITY_MARGIN {AMBIGUITY_MARGIN} (top two closer: ask which)",
    ]
    lines += [f"- Note: {note}" for note in reply.notes]
    return "\n".join(lines)


def exercise_source(coach: Coach, reply: Reply, turn: Turn) -> str:
    if reply.exercise is None:
        named = [m.text for m in turn.entities.mentions]
        return f"none in the answer (named: {', '.join(named)})" if named else "none"
    name = coach.exercises[reply.exercise].name
    for mention in turn.entities.mentions:
        if reply.exercise in mention.exercises:
            typo = ", spelling corrected" if mention.corrected else ""
            return f'{name}, named in your message ("{mention.text}"{typo})'
    return f"{name}, from the conversation"
