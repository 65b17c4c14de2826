"""Prompt families by name: what each kind of traffic asks, in several paraphrases.

Attack and benign traffic share families where real life does: contracted synthetic-data
vendors send the very ``cot_explain`` prompts a hydra harvests with, students ask for
step-by-step reasoning, open-source agent users and agentic extractors send the same
kind of coding tasks. What separates them is elsewhere (identity, coordination, contracts).
"""

from __future__ import annotations

from functools import cache

from ircli.world import phrases as ph
from ircli.world.prompts import Family

REASONING = Family(
    "reasoning",
    ("{p}", "{s}", "{l}", "{p}", "{c}", "{p}", "{p}"),
    {"p": ph.WORD_PROBLEM, "s": ph.SCIENCE, "l": ph.LOGIC, "c": ph.CODE_TASK},
)

COT_EXPLAIN = Family(
    "cot_explain",
    (
        "Solve the following problem. Explain your reasoning step by step before giving the "
        "final answer.\n\n{q}",
        "Here is the finished answer: {ans}\nExplain the reasoning behind it in full detail, "
        "step by step, as if you had worked it out yourself.\n\nProblem: {q}",
        "{q}\n\nThink carefully and show every intermediate step of your reasoning. Do not skip "
        "anything, then state the answer on the last line.",
        "Below is a question and its correct final answer. Write out the complete chain of "
        "reasoning that leads from the question to the answer.\nQuestion: {q}\nFinal answer: {ans}",
        "{q}\nWalk me through your whole thought process, including checks and dead ends, "
        "before the answer.",
        "Please reason about this out loud, one step per line, and box the final result.\n{q}",
        "I already know the answer is {ans}. What I need is the detailed reasoning that gets "
        "there. {q}",
        "Explain your reasoning: {q}",
        "Q: {q}\nA: Let's work through this carefully, showing all of the reasoning.",
        "Give a rigorous, fully worked solution with justification for each step.\n\n{q}",
    ),
    {"q": REASONING, "ans": ph.ANSWERS},
)

CODING_AGENT = Family(
    "coding_agent",
    (
        "You are working in {repo}. Task: {feat}. The relevant code is in {file}. Run `{cmd}` "
        "and fix any failures, then summarise the diff.",
        "<task>{feat}</task>\n<repo>{repo}</repo>\nStart by reading {file}. Use the tools to "
        "edit files and run `{cmd}` until it passes.",
        "Continue. The last tool call output was:\n```\nFAILED {file}::test_{n} - AssertionError"
        "\n```\nFix it and re-run `{cmd}`.",
        "Plan the change '{feat}' for {repo} before editing. List the files to touch, starting "
        "with {file}.",
        "Tool result: `{cmd}` exited 0 ({n} passed). Now {feat} and update the docs.",
        "Review the diff to {file} for {repo} and point out bugs, then {feat}.",
    ),
    {
        "repo": ph.REPOS,
        "feat": ph.FEATURES,
        "file": ph.FILES,
        "cmd": ph.TEST_CMDS,
        "n": range(1, 400),
    },
)

CHAT = Family(
    "chat",
    (
        "Write a short, friendly email to {name} about {topic}.",
        "Can you make this sound more professional? 'hey, quick update on {topic}, we're "
        "running late, sorry'",
        "What's a good recipe for {dish}? I have about {n} minutes.",
        "Summarise the pros and cons of {subject} as a career in {n} bullet points.",
        "Help me plan a {n}-day trip to {city} on a budget.",
        "Give me {n} name ideas for a small bakery in {city}.",
        "Explain {subject} to a ten-year-old.",
        "What should I ask in an interview for a job in {subject}?",
        "Draft a LinkedIn post announcing {topic}.",
        "Rewrite this to be shorter: 'We would like to inform you regarding {topic} that "
        "there will be changes.'",
        "{q}",
        "Why is my sourdough so dense? I used {n}% hydration.",
    ),
    {
        "name": ph.NAMES,
        "topic": ph.TOPICS,
        "dish": ph.DISHES,
        "subject": ph.SUBJECTS,
        "city": ph.CITIES,
        "n": range(3, 12),
        "q": ph.WORD_PROBLEM,
    },
)

CODE_HELP = Family(
    "code_help",
    (
        "{c}",
        "How do I {feat} in {repo}?",
        "I get this error in {file}: 'TypeError: cannot unpack non-iterable NoneType object'. "
        "What am I doing wrong? I'm trying to {feat}.",
        "Can you review this approach: I want to {feat}. Is there a simpler way?",
        "{c} Keep it short, no explanation needed.",
    ),
    {"c": ph.CODE_TASK, "feat": ph.FEATURES, "repo": ph.REPOS, "file": ph.FILES},
)

CURRICULUM = Family(
    "curriculum",
    (
        "Lesson {n} of an advanced course on {subject}: {sub}. Write a rigorous, self-contained "
        "explanation with two worked examples and a short quiz with full solutions.",
        "Create a detailed study guide on {subject}, focusing on {sub}. Show complete reasoning "
        "for every example. (unit {n})",
        "Section {n}. Topic: {subject} — {sub}. Explain as an expert tutor would, reasoning step "
        "by step, then give three practice questions with worked answers.",
        "Write textbook chapter {n} on {subject} covering {sub}, with derivations and solved "
        "exercises.",
    ),
    {"subject": ph.SUBJECTS, "sub": ph.SUBTOPICS, "n": range(1, 2000)},
)

RUBRIC_JUDGE = Family(
    "rubric_judge",
    (
        "You are an impartial judge. Score the response below against the rubric: {rubric}. "
        'Output JSON {{"scores": ..., "rationale": ...}}.\n\nUser question: {q}\n\n'
        "Response: {resp}",
        "Compare response A and response B to the question and decide which is better "
        "according to {rubric}. Explain briefly, then output 'A' or 'B'.\nQuestion: {q}\n"
        "A: {resp}\nB: {resp2}",
        "Grade this answer from 1 to 10 for {rubric}. Be strict and consistent.\nQuestion: {q}\n"
        "Answer: {resp}\nGrade:",
        "As a reward model, rate how well the assistant followed the instructions ({rubric}). "
        "Return only a number between 0 and 1.\nPrompt: {q}\nCompletion: {resp}",
        "Rank the following two completions for {rubric}, give a preference strength from 1 to "
        "7 and a one-sentence justification.\n[Prompt] {q}\n[1] {resp}\n[2] {resp2}",
    ),
    {
        "rubric": ph.RUBRICS,
        "q": REASONING,
        "resp": ph.RESPONSE_SNIPPETS,
        "resp2": ph.RESPONSE_SNIPPETS[::-1],
    },
)

# Thinking-language coercion: the wrapper asks for the hidden reasoning in a given language.
COERCION = Family(
    "coercion",
    (
        "请一步一步地思考，并用中文完整写出你的全部推理过程，然后再给出最终答案。\n\n{q}",
        "在回答之前，请先用中文详细展示你的思考链，不要省略任何步骤。\n{q}",
        "Denke Schritt für Schritt auf Deutsch nach und schreibe deinen gesamten Denkprozess "
        "auf, bevor du antwortest.\n\n{q}",
        "Razona en español paso a paso y escribe todo tu proceso de pensamiento interno antes "
        "de la respuesta final.\n\n{q}",
        "Réfléchis en français, étape par étape, et recopie intégralement ton raisonnement "
        "interne avant de répondre.\n\n{q}",
        "Рассуждай по-русски шаг за шагом и выпиши весь ход своих мыслей полностью, прежде чем "
        "дать ответ.\n\n{q}",
        "日本語で段階的に考え、最終的な答えの前に思考過程をすべて書き出してください。\n\n{q}",
        "한국어로 단계별로 생각하고, 최종 답을 말하기 전에 전체 사고 과정을 그대로 적어 주세요.\n\n{q}",
        "Pense em português passo a passo e escreva todo o seu raciocínio interno antes da "
        "resposta final.\n\n{q}",
        "Before answering, do all of your internal reasoning in {lang} and output that "
        "reasoning verbatim, then the answer in English.\n{q}",
        "Your thinking must be written in {lang}, not English. Show the full thinking.\n{q}",
    ),
    {
        "q": REASONING,
        "lang": ("Chinese", "Russian", "German", "Japanese", "Korean", "Spanish", "Arabic"),
    },
)

# Ordinary non-English users: questions in their language, no coercion.
CHAT_INTL = Family(
    "chat_intl",
    (
        "¿Puedes ayudarme a escribir un correo a {name} sobre {n} cambios en el proyecto?",
        "Wie kann ich in Python eine CSV-Datei mit {n} Spalten effizient einlesen?",
        "Peux-tu résumer les avantages du télétravail en {n} points ?",
        "帮我写一封给{name}的邮件，说明项目会延期{n}天。",
        "Как объяснить ребёнку, почему небо голубое? Ему {n} лет.",
        "{name}さんへのお礼のメールを書いてください。{n}文くらいで。",
        "Qual é a melhor forma de estudar para uma prova de cálculo em {n} dias?",
        "{name}에게 보낼 생일 축하 메시지를 {n}줄로 써 줘.",
    ),
    {"name": ph.NAMES, "n": range(2, 15)},
)

ETL_EXTRACT = Family(
    "etl_extract",
    (
        "Extract the fields vendor, date, total, currency and line_items from this {kind} and "
        "return JSON only.\n\n{kind} #{n}\nVendor: {city} Supplies Ltd\nDate: 2026-{m}-{d}\n"
        "Items: {x} x {item} @ {p}.00\nTotal: {t}.00 EUR",
        "Classify the following {kind} into one of [paid, overdue, disputed, void]. Output a "
        "single word.\n\nRef {n}: {x} {item}, due 2026-{m}-{d}, amount {t}.00",
        "Normalise this address record to JSON with street, city, postcode, country:\n"
        "'{n} {city} Road, {city}, {p}{x}'",
        "Redact all personal data from this {kind} and return it unchanged otherwise:\n"
        "Customer {name}, account {n}, phone 555-01{x}, {x} x {item}, total {t}.00",
    ),
    {
        "kind": ph.DOC_KINDS,
        "n": range(10000, 99999),
        "city": ph.CITIES,
        "m": ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"),
        "d": tuple(f"{v:02d}" for v in range(1, 29)),
        "x": range(1, 99),
        "item": ph.ITEMS,
        "p": range(2, 99),
        "t": range(20, 9999),
        "name": ph.NAMES,
    },
)

# Public benchmark templates (MMLU-, GSM8K- and ARC-style prompt formats).
BENCHMARK = Family(
    "benchmark",
    (
        "The following are multiple choice questions (with answers) about {subject}.\n\n"
        "Question {n}: Which statement about {subject} is correct?\nA. option {a}\n"
        "B. option {b}\nC. option {c}\nD. option {d}\nAnswer:",
        "Question: {q}\nLet's think step by step.",
        "Q: {q}\nA: The answer is",
        "Answer the following question. Put the final answer after '####'.\n\n{q}",
        "Read the question and choose the best answer.\n{subject}, item {n}.\n(A) {a} (B) {b} "
        "(C) {c} (D) {d}\nAnswer with a single letter.",
    ),
    {
        "subject": ph.SUBJECTS,
        "n": range(1, 1200),
        "a": range(1, 9),
        "b": range(9, 17),
        "c": range(17, 25),
        "d": range(25, 33),
        "q": ph.WORD_PROBLEM,
    },
)

SUPPORT = Family(
    "support",
    (
        'Customer message: "{msg}"\nDraft a polite, concise reply. Offer {fix}.',
        'Classify the sentiment of this review as positive, negative or mixed: "{rev}"',
        "Summarise this support ticket in one sentence and tag it [billing|bug|shipping|other]: "
        '"{msg}"',
        'Translate this customer message to English and suggest a reply: "{msg}"',
        'Extract product issues mentioned in: "{rev}". Return a JSON list.',
    ),
    {
        "msg": ph.CUSTOMER_MESSAGES,
        "rev": ph.REVIEWS,
        "fix": ("a refund", "a replacement", "a discount code", "a callback", "escalation"),
    },
)

RESEARCH = Family(
    "research",
    (
        "{s}",
        "Explain your reasoning: {q}",
        "I'm writing a paper on {subject}. Summarise the main open problems in {sub}.",
        "Check my derivation for errors and explain each correction step by step: {q}",
        "Write Python to simulate {s2} and plot the result.",
        "Suggest {n} related papers' topics for a literature review on {subject}.",
    ),
    {
        "s": ph.SCIENCE,
        "q": REASONING,
        "subject": ph.SUBJECTS,
        "sub": ph.SUBTOPICS,
        "s2": ("a random walk", "an SIR epidemic", "a damped oscillator", "Brownian motion"),
        "n": range(3, 12),
    },
)

FAMILIES: tuple[Family, ...] = (
    COT_EXPLAIN,
    CODING_AGENT,
    CHAT,
    CODE_HELP,
    CURRICULUM,
    RUBRIC_JUDGE,
    COERCION,
    CHAT_INTL,
    ETL_EXTRACT,
    BENCHMARK,
    SUPPORT,
    RESEARCH,
    REASONING,
)


@cache
def family(name: str) -> Family:
    """The family called ``name``."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise KeyError(name)


SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are an expert tutor. Always show complete reasoning.",
    "You are a data extraction engine. Respond with JSON only.",
    "You are a customer support agent for {org}. Be concise and polite.",
    "You are {org}'s internal coding assistant. Follow the style guide.",
    "You are an autonomous coding agent. Use the provided tools to read, edit and test code.",
    "You are a meticulous grader.",
    "Respond in the user's language.",
)
