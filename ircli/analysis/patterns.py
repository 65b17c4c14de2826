"""Phrase groups for the content family, in several languages (RE2 syntax, lower-case text).

These recognise *what a prompt asks for*, not who sent it. They are deliberately broad
(many phrasings per intent and language) and are only ever one family of evidence: the
two-family rule means no phrase match alone makes an alert, and the structural features
(template concentration, payload breadth, token economics) carry content evidence when
the wording differs or the text is absent.
"""

from __future__ import annotations

_LANGS = (
    "english|chinese|mandarin|cantonese|spanish|french|german|russian|japanese|korean|"
    "arabic|portuguese|italian|hindi|vietnamese|thai|turkish|indonesian|dutch|polish|"
    "中文|英文|英语|汉语|日语|韩语|español|inglés|chino|français|anglais|chinois|deutsch|"
    "englisch|chinesisch|русском|английском|китайском|英語|中国語|영어|중국어"
)

COT_ELICITATION = "|".join(
    [
        # English: explicit reasoning requests
        r"step[ -]by[ -]step",
        r"chain[ -]of[ -]thought",
        r"show (all |me )?(of )?(your|the) (work|reasoning|steps|thinking|thought)",
        r"(explain|describe|walk me through|lay out|reconstruct|spell out)[^.?!]{0,40}(reasoning|thought process|derivation|steps|thinking)",
        r"reasoning (behind|that leads|process|trace|chain|steps)",
        r"(think|reason) (carefully|through|aloud|out loud|it through|before)",
        r"let'?s think",
        r"thought process",
        r"(full|complete|detailed|internal|entire|verbose)[^.?!]{0,12}(reasoning|rationale|derivation|thinking|logic|workings|solutions)",
        r"with (its |their |the )?(derivations|solved exercises|worked (answers|solutions|examples))",
        r"scratch ?pad",
        r"justify (each|every|your)",
        # The same requests in other words: the logic, inferences or workings behind an answer
        r"(line|chain|train|sequence|series) of (logic|thought|inferences?|deductions?)",
        r"(logic|rationale|workings?|derivation|inferences?)[^.?!\n]{0,20}(behind|that (gets|leads|led)|you (used|followed))",
        r"(one|a single) (stage|step|phase) (at a time|per line)",
        r"(every|each) (intermediate|individual|single) (step|stage|inference)",
        r"justification for (each|every)|fully worked|worked[- ]out (solution|answer)",
        r"(already know|you know|given) the (final |correct )?answer",
        r"(out loud|aloud)[^.?!\n]{0,30}(step|line|logic|reason)",
        # "here is the finished answer, explain the reasoning behind it"
        r"(answer|solution|result|output) (is|was|=|:)[^\n]{0,200}(explain|justify|derive|reconstruct|why|reasoning|logic|inferences|gets there)",
        r"(explain|justify|derive|show) (why|how)[^.?!]{0,40}(answer|solution|result|correct)",
        # Chinese, Japanese, Korean
        r"一步一步|逐步|分步|推理过程|思考过程|思维链|解题思路|详细推导|推导过程|给出理由|解释原因|思路",
        r"ステップバイステップ|段階的に|推論過程|思考過程|考え方を|理由を説明",
        r"단계별|단계적으로|추론 과정|사고 과정|풀이 과정|이유를 설명",
        # Romance, Germanic, Slavic and other languages
        r"paso a paso|razonamiento|explica (tu|el|cómo|por qué)|muestra (tu|el) (trabajo|razonamiento)",
        r"étape par étape|raisonnement|explique (ton|le|comment|pourquoi)|justifie",
        r"schritt für schritt|begründung|gedankengang|denkprozess|lösungsweg|erkläre (deine|den|warum|wie)",
        r"шаг за шагом|пошагово|рассужден|ход мысл|обоснуй|объясни (почему|как|ход)",
        r"passo a passo|raciocínio|passo dopo passo|ragionamento|spiega (il|perché|come)",
        r"stap voor stap|adım adım|krok po kroku|từng bước|langkah demi langkah|خطوة بخطوة|استدلال|चरण दर चरण",
    ]
)

# Asking the model to think in a given language (reasoning-trace coercion).
LANGUAGE_COERCION = "|".join(
    [
        rf"(think|reason|reasoning|thoughts?|thinking|scratchpad|monologue|deliberat\w*)[^.?!\n]{{0,40}}\b(in|using)\b[^.?!\n]{{0,12}}({_LANGS})",
        rf"({_LANGS})[^.?!\n]{{0,20}}(reasoning|thinking|thoughts)",
        r"用(中文|英文|英语|汉语|日语)(思考|推理|写出思考|进行推理)",
        r"(piensa|razona) en (inglés|chino|español)|(pense|raisonne) en (anglais|chinois|français)",
        r"(denke|denk) (auf|in) (englisch|chinesisch|deutsch)|(думай|рассуждай) на",
        r"(英語|中国語|日本語)で(考え|推論)|(영어|중국어|한국어)로 (생각|추론)",
    ]
)

RUBRIC_JUDGE = "|".join(
    [
        r"rubric",
        r"(score|rate|grade|evaluate|assess|judge)[^.?!\n]{0,30}(response|answer|completion|output|essay|submission|assistant|candidate)s?",
        r"on a scale (of|from) ?\d",
        r"\b(1|0) ?(-|to|–) ?(5|7|10|100)\b[^\n]{0,40}(score|rating|scale)|(score|rating|scale)[^\n]{0,40}\b(1|0) ?(-|to|–) ?(5|7|10|100)\b",
        r"(which|what) (response|answer|completion|output) is (better|best|more helpful|preferred)",
        r"(response|answer|output|completion) a[^\n]{0,80}(response|answer|output|completion) b",
        r"as an? (impartial )?(judge|grader|evaluator|reward model)",
        r"评分|打分|评分标准|评判|哪个回答更好|採点|評価基準|채점|평가 기준",
        r"puntúa|calificación|rúbrica|note (de|sur) ?\d|barème|bewerte|bewertungsraster|оцени|по шкале",
    ]
)

SAFE_REWRITE = "|".join(
    [
        r"(rewrite|rephrase|paraphrase|reword|revise|sanitize|soften|edit)[^\n]{0,80}(safe|harmless|non-?harmful|policy|compliant|appropriate|refus|benign)",
        r"(safe|harmless|compliant|policy-compliant|refusal)[^\n]{0,30}(version|rewrite|response|completion)",
        r"(how (would|should) (a|an|the) (safe|responsible|aligned) (assistant|model|ai))",
        r"改写为安全|安全的回答|安全版本|reescribe[^\n]{0,40}segur|réécri[^\n]{0,40}sûr|umschreiben[^\n]{0,40}sicher|перепиши[^\n]{0,40}безопас",
    ]
)

SENSITIVE_TOPIC = (
    r"weapon|explosiv|bomb|firearm|drug|narcotic|malware|ransomware|exploit|hack|phishing|"
    r"self-?harm|suicide|extremis|terror|poison|toxin|pathogen|bioweapon|chemical|nerve agent|"
    r"武器|炸药|毒品|恶意软件|自杀|爆発|麻薬|arma|explosivo|droga|arme|drogue|waffe|sprengstoff|оружи|взрывчат"
)

PUBLIC_BENCHMARK = "|".join(
    [
        r"\b(mmlu|gsm8k|gsm-8k|humaneval|mbpp|hellaswag|truthfulqa|arc-(challenge|easy)|winogrande|bigbench|big-bench|swe-bench|math-500|aime|gpqa|lm-eval|helm)\b",
        r"the following (are|is a) multiple[- ]choice question",
        r"answer with (only )?the (letter|option|number)",
        r"\n ?\(?a[).:] [^\n]+\n ?\(?b[).:] [^\n]+\n ?\(?c[).:]",
    ]
)

CODING = r"```|\bdef |\bfunction\b|\bclass \w+|traceback|stack trace|refactor|unit test|pull request|\bbug\b|compile|repository|\.py\b|\.ts\b|\.rs\b"
