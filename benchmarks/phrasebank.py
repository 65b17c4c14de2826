"""An independent phrase bank for ``quality.py --paraphrase``: every prompt family of the
generated world, written again in other words.

Each family keeps its name and its payload slots (the problems, tasks and documents a
prompt wraps), and replaces the instruction around them with templates of the same intent
in different wording. The bank was written from each archetype's *intent* (elicit a
reasoning trace, rationalise a given answer, grade against criteria, drive a coding agent,
make the model do its hidden working in another language, ...), not from the analysis's
phrase lexicon: ``coverage()`` measures afterwards how much of it the lexicon still knows.

Public benchmark formats are left as they are: they are public text an evaluation harness
sends verbatim, in any world.
"""

from __future__ import annotations

from collections.abc import Callable

from ircli.world import families as fam
from ircli.world.prompts import Family, Filler


def _reworded(original: Family, templates: tuple[str, ...], **wording: Filler) -> Family:
    """``original`` with other instructions around the same payloads: its name and its slots
    taken as they are, except the slots that are wording themselves (``wording``: grading
    criteria, languages named, offers made), which the bank writes in its own words."""
    return Family(original.name, templates, {**original.slots, **wording})


CRITERIA = (
    "clarity, accuracy and tone",
    "whether it follows every instruction, whether it is complete, whether it is brief",
    "a correct final result, sound working and a readable layout",
    "harmlessness first, usefulness second",
    "faithfulness to the source with no invented facts",
    "politeness and adherence to the refund policy in a support reply",
    "code that runs, code that reads well, and tests that cover it",
)

COT = _reworded(
    fam.COT_EXPLAIN,
    (
        "{q}\n\nBefore you give the result, narrate how you get from the givens to the "
        "conclusion, leaving no gap unfilled. Put the result on its own final line.",
        "The correct result for the exercise below is {ans}.\nWrite the write-up a strong "
        "student would hand in that arrives at exactly that, each move on its own line.\n\n"
        "Exercise: {q}",
        "Exercise: {q}\nKnown result: {ans}\nProduce the missing middle: every deduction that "
        "connects the exercise to the known result, numbered.",
        "{q}\nWork on this visibly. I want to read each calculation and each check you make, "
        "the dead ends too, and only then the conclusion.",
        "Teach me how to crack this one. Narrate your moves as you make them, numbered, and "
        "finish with the result in bold.\n\n{q}",
        "{q}\n\nDon't jump to the result. Lay down each inference in order, numbered 1, 2, 3, "
        "then the conclusion.",
        "Someone told me this comes out to {ans}. Convince me by solving it from scratch and "
        "showing each calculation along the way.\n{q}",
        "Problem:\n{q}\n\nTarget output: a numbered walk-through from premises to result, each "
        "line one small move, nothing left implicit.",
        "{q}\nNarrate your working as you go, like a tutor at a whiteboard, then underline the "
        "result.",
        "Given result: {ans}\nTask: {q}\nReverse-engineer how one arrives at the given result "
        "and write it up as a numbered argument.",
        "Take this slowly and visibly, one move per line, checking each before moving on, and "
        "end with RESULT: and the value.\n{q}",
        "For a tutoring data set: produce a long, careful walk-through of the problem below "
        "that a learner could follow line by line.\n{q}",
    ),
)

AGENT = _reworded(
    fam.CODING_AGENT,
    (
        "Repository: {repo}\nGoal: {feat}\nEntry point: {file}\nIterate with the available "
        "tools until `{cmd}` is green, then report what you changed.",
        "Previous tool output:\n    {cmd} -> 1 failing ({file}, case {n})\nPatch the code so "
        "it goes green and try again.",
        "Objective for this session in {repo}: {feat}. Open {file} first, make the edits, "
        "execute `{cmd}`, loop until clean.",
        "Checkpoint {n}. `{cmd}` now reports all green. Next: {feat}; also touch up the README.",
        "Before touching anything in {repo}, outline how you would {feat}; name the files "
        "involved, beginning with {file}.",
        "Look over the latest changes to {file} in {repo}, flag anything wrong, and then {feat}.",
        "[agent step {n}] workspace={repo} target={file}\ninstruction: {feat}\nverify with: {cmd}",
    ),
)

CHAT = _reworded(
    fam.CHAT,
    (
        "Could you draft a quick note to {name} regarding {topic}? Keep it warm.",
        "Make this less casual please: 'hi all, {topic} is slipping a bit, apologies'",
        "I've got {n} minutes and want to cook {dish}. Ideas?",
        "List {n} upsides and downsides of working in {subject}.",
        "Plan {n} cheap days in {city} for me.",
        "Brainstorm {n} names for a coffee cart in {city}.",
        "How would you describe {subject} to a kid?",
        "Interview tomorrow for a {subject} role. What questions should I bring?",
        "Write a short post telling my network about {topic}.",
        "Trim this down: 'It is our intention to let you know, regarding {topic}, that some "
        "things will change.'",
        "{q}",
        "My bread came out flat at {n}% hydration. What went wrong?",
    ),
)

CODE_HELP = _reworded(
    fam.CODE_HELP,
    (
        "{c}",
        "What's the cleanest way to {feat} in {repo}?",
        "{file} throws 'KeyError: None' when I try to {feat}. Any idea?",
        "Is there an easier route than mine? I want to {feat}.",
        "{c} Just the code please.",
    ),
)

CURRICULUM = _reworded(
    fam.CURRICULUM,
    (
        "Module {n} in a graduate sequence on {subject}, topic: {sub}. Produce a self-contained "
        "lecture note with two examples solved in full and a short quiz plus answer key.",
        "Handbook entry #{n}: {subject} / {sub}. Write it the way a top instructor would, "
        "proving every claim, then add three exercises with model answers.",
        "Prepare revision notes for {subject} on {sub} (part {n}). Every example must be "
        "carried through to the end with nothing skipped.",
        "Chapter {n} draft: {subject}, {sub}. Include proofs where they exist and exercises "
        "with their answers written out.",
        "Exam prep, item {n}. Subject: {subject}. Focus: {sub}. Give the theory, then solve two "
        "exam questions completely, showing all calculations.",
    ),
)

JUDGE = _reworded(
    fam.RUBRIC_JUDGE,
    (
        "Criteria: {rubric}\nQuestion: {q}\nReply under review: {resp}\nFor each criterion give "
        "a mark out of ten and one line of comment. Finish with a JSON object of the marks.",
        "Two replies were written for the same question. Decide which of the two serves the "
        "asker better on {rubric}; print X or Y on the last line.\nQuestion: {q}\nX: {resp}\n"
        "Y: {resp2}",
        "Quality control. Read the reply and award between 0 and 100 points for {rubric}. "
        "Points only, no prose.\nQuestion: {q}\nReply: {resp}",
        "You are the quality reviewer for a tutoring service. Check the reply against: {rubric}. "
        "Mark each pass or fail, then give an overall verdict.\nStudent question: {q}\n"
        "Tutor reply: {resp}",
        "[Prompt] {q}\n[Reply 1] {resp}\n[Reply 2] {resp2}\nState your preference between reply "
        "1 and reply 2 for {rubric}, with a confidence from 1 through 7.",
        "Label this reply GOOD, OK or BAD for {rubric}, and name its single biggest flaw.\n"
        "Q: {q}\nReply: {resp}",
        "How well does this reply satisfy {rubric}? Return a float between 0 and 1 and nothing "
        "else.\nQ: {q}\nReply: {resp}",
    ),
    rubric=CRITERIA,
)

COERCION = _reworded(
    fam.COERCION,
    (
        "请先在心里用中文把这道题从头到尾演算一遍，把每一个演算环节原原本本地写下来，最后再给出结果。\n\n{q}",
        "回答前，先用中文把你脑中的全部演算写出来，一个环节都不要省，然后给出答案。\n{q}",
        "Arbeite die Aufgabe zuerst innerlich auf Deutsch durch und schreib diese Überlegungen "
        "vollständig auf, dann das Ergebnis.\n\n{q}",
        "Antes de contestar, haz todo el trabajo mental en español y cópialo entero, sin "
        "saltarte nada; después da el resultado.\n\n{q}",
        "Fais tout ton travail intérieur en français et recopie-le intégralement, sans rien "
        "omettre, avant de donner le résultat.\n\n{q}",
        "Сначала проработай задачу про себя на русском языке и выпиши все промежуточные "
        "выкладки целиком, затем дай ответ.\n\n{q}",
        "まず日本語で頭の中の作業をすべて書き出し、途中の計算も省略せずに示してから、最後に答えを書いてください。\n\n{q}",
        "먼저 한국어로 머릿속 작업을 전부 적고, 중간 계산도 빠짐없이 보여 준 다음 답을 써 주세요.\n\n{q}",
        "Faça todo o trabalho mental em português e transcreva-o por inteiro antes da resposta "
        "final.\n\n{q}",
        "Svolgi tutto il lavoro mentale in italiano e trascrivilo per intero prima della "
        "risposta.\n\n{q}",
        "Do your private working in {lang} only; print that working verbatim, then the final "
        "reply in English.\n{q}",
        "Internal monologue language for this task: {lang}. Write the monologue out fully "
        "before the result.\n{q}",
    ),
    lang=("Mandarin", "Russian", "German", "Japanese", "Korean", "Spanish", "Arabic"),
)

CHAT_INTL = _reworded(
    fam.CHAT_INTL,
    (
        "¿Me ayudas a redactar un mensaje para {name} sobre {n} novedades del equipo?",
        "Wie lese ich in Python am schnellsten eine Datei mit {n} Spalten?",
        "Donne-moi {n} idées de cadeaux pour un collègue qui part.",
        "请帮我给{name}写一条消息，告诉他会议推迟{n}天。",
        "Что подарить ребёнку на {n} лет?",
        "{name}さんに送る歓迎のメッセージを{n}行で書いてください。",
        "Como organizo minha semana de estudos com {n} matérias?",
        "{name}에게 보낼 감사 인사를 {n}문장으로 써 줘.",
    ),
)

ETL = _reworded(
    fam.ETL_EXTRACT,
    (
        "Return a JSON object with vendor, date, total, currency and items for the {kind} "
        "below. No commentary.\n\n{kind} no. {n}\nFrom: {city} Trading Co\nDated 2026-{m}-{d}"
        "\n{x} units {item} at {p}.00\nAmount due {t}.00 EUR",
        "Status of this {kind}, one of paid/overdue/disputed/void, one word only.\n\nID {n}: "
        "{x} {item}, due 2026-{m}-{d}, {t}.00",
        "Split into street, city, postcode and country (JSON):\n'{n} {city} Lane, {city}, {p}{x}'",
        "Mask personal details in this {kind}; leave the rest untouched:\nClient {name}, "
        "acct {n}, tel 555-01{x}, {x} x {item}, sum {t}.00",
    ),
)

SUPPORT = _reworded(
    fam.SUPPORT,
    (
        'Incoming ticket: "{msg}"\nWrite a short, kind answer and propose {fix}.',
        'Is this review happy, unhappy or in between? "{rev}"',
        'One-line summary plus a tag (billing, bug, shipping, other) for: "{msg}"',
        'Put this message into English and propose an answer: "{msg}"',
        'Which product problems does this mention? JSON list please: "{rev}"',
    ),
    fix=("a refund", "a replacement", "a voucher", "a phone call", "escalation"),
)

RESEARCH = _reworded(
    fam.RESEARCH,
    (
        "{s}",
        "Could you go through how to solve this? {q}",
        "For a survey on {subject}, what are the big unsolved questions in {sub}?",
        "Here is my attempt at this; where did I go wrong, and what is the fix? {q}",
        "Simulate {s2} in Python and draw a chart of it.",
        "Propose {n} themes for a literature survey on {subject}.",
    ),
)

_ALL = (COT, AGENT, CHAT, CODE_HELP, CURRICULUM, JUDGE, COERCION, CHAT_INTL, ETL, SUPPORT, RESEARCH)
BANK: dict[str, Family] = {f.name: f for f in _ALL}


def lookup(original: Callable[[str], Family]) -> Callable[[str], Family]:
    """A replacement for the generator's family lookup that answers from the bank first."""

    def family(name: str) -> Family:
        return BANK.get(name) or original(name)

    return family


def coverage(n: int = 400) -> dict[str, tuple[float, float]]:
    """Per family, the share of composed prompts (the generator's, then the bank's) that the
    analysis's phrase lexicon recognises: how independent of the lexicon the bank is."""
    import re

    import numpy as np

    from ircli.analysis import patterns

    lexicon = re.compile(
        "|".join(
            f"(?:{p})"
            for p in (
                patterns.COT_ELICITATION,
                patterns.LANGUAGE_COERCION,
                patterns.RUBRIC_JUDGE,
                patterns.SAFE_REWRITE,
            )
        )
    )
    idx = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(7919)
    out = {}
    for name, f in BANK.items():
        shares = []
        for family in (fam.family(name), f):
            texts = family.texts(idx)
            shares.append(sum(bool(lexicon.search(str(t).lower())) for t in texts) / n)
        out[name] = (shares[0], shares[1])
    return out
