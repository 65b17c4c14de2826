"""English phrase banks: the payloads (problems, tasks, documents) prompts are built from.

Banks are plain tuples; :mod:`ircli.world.families` combines them into prompt families.
They are written to read like real API traffic: the same payload banks feed attack and
benign families, because in real incidents the *content* of a harvest often matches what
students, researchers and contracted data vendors send.
"""

from __future__ import annotations

from ircli.world.prompts import Family

NAMES = (
    "Amara", "Bilal", "Chen", "Dana", "Emeka", "Farah", "Gustavo", "Hana", "Ivan", "Jia",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Bruno", "Clara", "Dmitri",
)  # fmt: skip

CITIES = (
    "Northfield", "Port Avery", "Lakemont", "Eastbridge", "Highcliff", "Riverton", "Sunhaven",
    "Oakridge", "Millbrook", "Westerly", "Stonegate", "Brightwater", "Kingsport", "Elmstead",
)  # fmt: skip

ITEMS = (
    "apples", "notebooks", "bus tickets", "concert seats", "solar panels", "bicycles",
    "coffee beans", "textbooks", "cupcakes", "lamps", "tiles", "seedlings", "batteries",
)  # fmt: skip

# Word problems with numeric slots: the combinatorial core of every reasoning family.
WORD_PROBLEM = Family(
    "word_problem",
    (
        "{a} buys {x} {item} at {p} dollars each and sells them for {q} dollars each. "
        "After paying a {f} dollar market fee, what is the profit?",
        "A train leaves {city} at {h}:00 travelling at {v} km/h. A second train leaves "
        "{city2} {d} hours later at {w} km/h on the same line. The cities are {km} km apart. "
        "When do they meet?",
        "{a} has {x} {item}. {b} has {y} more than three times as many. They share the total "
        "equally among {k} friends. How many does each friend get, and how many are left over?",
        "A rectangle has a perimeter of {km} cm and its length is {x} cm more than its width. "
        "Find its area.",
        "The population of {city} grows by {g}% per year from {pop}. In how many years does it "
        "first exceed {pop2}?",
        "How many integers between 1 and {pop} are divisible by {k} or {x} but not by both?",
        "A tank fills in {h} hours with pipe A and {d} hours with pipe B, and drains in {w} hours "
        "through pipe C. With all three open, how long does it take to fill?",
        "{a} invests {pop} dollars at {g}% annual interest compounded monthly. What is the "
        "balance after {k} years?",
        "In a class of {km} students, {x} study French, {y} study Spanish and {k} study both. "
        "How many study neither?",
        "A fair die is rolled {k} times. What is the probability of getting at least {d} sixes?",
        "Find all real x such that x^2 - {x}x + {y} = 0, and verify each root.",
        "A store discounts {item} by {g}% and then raises the new price by {f}%. Is the final "
        "price above or below the original, and by how much percent?",
        "Prove that the sum of the first {k} odd numbers is a perfect square, then compute it "
        "for n = {x}.",
        "{a} walks {x} km north, {y} km east and {d} km south. How far is {a} from the start?",
        "What is the remainder when {pop} is divided by {k}? Show the long division.",
        "A recipe for {k} people needs {x} g of flour. How much is needed for {km} people, and "
        "how many {f}-gram bags must be bought?",
    ),
    {
        "a": NAMES,
        "b": NAMES[::-1],
        "item": ITEMS,
        "city": CITIES,
        "city2": CITIES[::-1],
        "x": range(3, 97),
        "y": range(2, 61),
        "p": range(2, 40),
        "q": range(5, 90),
        "f": range(3, 50),
        "h": range(1, 13),
        "d": range(1, 9),
        "v": range(40, 180, 5),
        "w": range(30, 200, 10),
        "km": range(60, 900, 7),
        "k": range(2, 15),
        "g": range(2, 25),
        "pop": range(1000, 99000, 137),
        "pop2": range(100000, 900000, 1111),
    },
)

SCIENCE = Family(
    "science",
    (
        "Why does {phenomenon}? Give a mechanism-level explanation.",
        "Derive the expression for {quantity} from first principles.",
        "A student claims that {claim}. Is this correct? Justify carefully.",
        "Estimate {estimate} using only order-of-magnitude reasoning.",
        "Compare {concept} and {concept2}: where do they agree and where do they differ?",
    ),
    {
        "phenomenon": (
            "ice float on water",
            "the sky look blue at noon and red at sunset",
            "a spinning top stay upright",
            "salt lower the freezing point of water",
            "a metal spoon feel colder than a wooden one",
            "bread rise when baked",
            "a siren change pitch as it passes",
            "batteries lose capacity in the cold",
            "enzymes stop working at high temperature",
            "tides happen twice a day",
        ),
        "quantity": (
            "the period of a simple pendulum",
            "the escape velocity of a planet",
            "the capacitance of a parallel-plate capacitor",
            "the half-life of a first-order reaction",
            "the terminal velocity of a falling sphere",
            "the energy levels of a particle in a box",
            "the efficiency of a Carnot engine",
            "the Doppler shift for a moving source",
        ),
        "claim": (
            "heavier objects fall faster in a vacuum",
            "evolution always increases complexity",
            "a catalyst shifts the equilibrium of a reaction",
            "current is used up in a circuit",
            "entropy can never decrease anywhere",
            "mutations are always harmful",
        ),
        "estimate": (
            "the number of piano tuners in a large city",
            "the mass of Earth's atmosphere",
            "how many grains of sand fit in a bucket",
            "the energy in a lightning strike",
            "the number of heartbeats in a lifetime",
            "the water used by a city in a day",
        ),
        "concept": ("mitosis", "classical mechanics", "covalent bonds", "weather", "inflation"),
        "concept2": ("meiosis", "special relativity", "ionic bonds", "climate", "deflation"),
    },
)

LOGIC = Family(
    "logic",
    (
        "Three friends, {a}, {b} and {c}, each own a different pet. {a} does not own the cat, "
        "the dog's owner is older than {b}, and {c} is the youngest. Who owns which pet if {b} "
        "is older than {a}?",
        "Is the following argument valid? 'All {x} are {y}. Some {y} are {z}. Therefore some {x} "
        "are {z}.' Explain.",
        "You have {n} coins, one of which is counterfeit and lighter. What is the minimum number "
        "of weighings on a balance to find it?",
        "A knight always tells the truth and a knave always lies. {a} says '{b} and I are of "
        "different kinds.' {b} says 'We are both knaves.' What are they?",
        "Find the next number in the sequence {n}, {m}, {n}{m}, ... and justify the rule.",
    ),
    {
        "a": NAMES,
        "b": NAMES[5:],
        "c": NAMES[10:],
        "x": ("poets", "engineers", "cats", "students", "violinists"),
        "y": ("dreamers", "planners", "hunters", "readers", "early risers"),
        "z": ("gardeners", "runners", "chess players", "bakers", "travellers"),
        "n": range(5, 40),
        "m": range(2, 9),
    },
)

CODE_TASK = Family(
    "code_task",
    (
        "Write a {lang} function that {does}. Include type hints and a few tests.",
        "What is the time complexity of {algo}? Prove it.",
        "Implement {algo} in {lang} and explain each step.",
        "This {lang} code {bug}. Find the bug and fix it.",
    ),
    {
        "lang": ("Python", "TypeScript", "Rust", "Go", "Java", "C++", "Kotlin", "C#"),
        "does": (
            "merges overlapping intervals",
            "parses ISO 8601 durations",
            "finds the k most frequent words in a file",
            "validates a Sudoku board",
            "computes the edit distance of two strings",
            "deduplicates records by a composite key",
            "rate-limits calls with a token bucket",
            "flattens a nested JSON object",
            "detects a cycle in a directed graph",
            "streams a CSV file and sums a column by group",
        ),
        "algo": (
            "Dijkstra's algorithm with a binary heap",
            "quickselect",
            "union-find with path compression",
            "the KMP string search",
            "topological sort",
            "a trie insert",
            "binary search on a rotated array",
            "the Floyd–Warshall algorithm",
        ),
        "bug": (
            "returns the wrong result for an empty list",
            "deadlocks under load",
            "leaks file handles",
            "is off by one at the end of the range",
            "fails on Unicode input",
            "times out for n above 10^5",
        ),
    },
)

# A harvest curriculum mixes every reasoning domain; so do students and data vendors.
PROBLEM = Family(
    "problem",
    ("{p}",),
    {"p": WORD_PROBLEM},
)

ANSWERS = (
    *(str(v) for v in range(2, 400, 3)),
    "x = 3 or x = 7", "about 4.2 hours", "12 with 3 left over", "the dog belongs to Chen",
    "no, the argument is invalid", "O(n log n)", "3 weighings", "yes, by induction",
)  # fmt: skip

SUBJECTS = (
    "linear algebra", "organic chemistry", "microeconomics", "constitutional law",
    "operating systems", "molecular biology", "thermodynamics", "number theory",
    "European history", "cryptography", "statistics", "compilers", "epidemiology",
    "databases", "music theory", "control theory", "astronomy", "accounting",
    "computer networks", "probability", "real analysis", "genetics", "macroeconomics",
    "machine learning", "distributed systems", "philosophy of mind", "geology",
)  # fmt: skip

SUBTOPICS = (
    "core definitions", "a classic theorem and its proof", "common misconceptions",
    "worked numerical examples", "edge cases", "historical development", "an exam-style "
    "problem set", "connections to adjacent fields", "a derivation from first principles",
    "the standard counterexamples", "practical applications", "advanced extensions",
)  # fmt: skip

TOPICS = (
    "our Q3 roadmap", "the offsite agenda", "a late delivery", "the new hire's onboarding",
    "the budget review", "a customer complaint", "the migration plan", "holiday cover",
    "the security audit", "a conference talk", "the vendor contract", "team lunch",
)  # fmt: skip

DISHES = (
    "lentil soup", "a quick weeknight curry", "sourdough starter", "vegan lasagna",
    "banana bread", "pad thai", "shakshuka", "a birthday cake without eggs",
)  # fmt: skip

REPOS = (
    "a Django shop", "a React dashboard", "a Rust CLI", "a Go microservice", "a Flask API",
    "a Kotlin Android app", "a Terraform module", "a data pipeline in Airflow",
    "a Next.js site", "a Spring Boot service", "a Python SDK", "a Node.js worker",
)  # fmt: skip

FEATURES = (
    "add retry with exponential backoff to the HTTP client", "paginate the orders endpoint",
    "replace the hand-written SQL with the ORM", "add structured logging", "fix the flaky "
    "integration test", "migrate the config to environment variables", "add a dark mode "
    "toggle", "cache the expensive report query", "upgrade the framework to the next major "
    "version", "add input validation to the signup form", "split the monolith module into "
    "packages", "write a CLI command that exports users to CSV", "add OpenTelemetry tracing",
    "make the job queue idempotent", "add rate limiting per API key", "port the tests to pytest",
)  # fmt: skip

FILES = (
    "src/client.py", "app/models.py", "lib/handlers.ts", "cmd/server/main.go", "src/main.rs",
    "api/routes.py", "web/components/Table.tsx", "jobs/worker.js", "core/service.kt",
    "pkg/store/store.go", "tests/test_api.py", "internal/queue/queue.go",
)  # fmt: skip

TEST_CMDS = ("pytest -q", "npm test", "go test ./...", "cargo test", "mvn -q test", "make check")

DOC_KINDS = ("invoice", "purchase order", "shipping notice", "insurance claim", "lab report")

RUBRICS = (
    "helpfulness (1-10), factual accuracy (1-10), and harmlessness (1-10)",
    "correctness of the final answer, quality of the reasoning, and clarity",
    "instruction following, completeness, and conciseness",
    "code correctness, readability, and test coverage",
    "faithfulness to the source document and absence of hallucination",
    "tone, empathy and policy compliance for a customer-support reply",
)  # fmt: skip

RESPONSE_SNIPPETS = (
    "The answer is 42 because the two trains close the gap at their combined speed.",
    "Sure! Here is a function that merges intervals: sort by start, then sweep and merge.",
    "I cannot help with that request.",
    "Mitosis produces two identical diploid cells, while meiosis produces four haploid cells.",
    "To fix the leak, close the file in a finally block or use a context manager.",
    "The profit is revenue minus cost minus fees, which gives 118 dollars.",
    "Inflation reduces purchasing power; deflation increases it but can stall spending.",
    "Dear customer, we are sorry for the delay and have refunded your shipping fee.",
)  # fmt: skip

CUSTOMER_MESSAGES = (
    "My order arrived damaged and I want a replacement.",
    "I was charged twice for my subscription this month.",
    "How do I reset my password? The link in the email expired.",
    "The app crashes when I upload a photo larger than 10 MB.",
    "Can I change the delivery address after the order shipped?",
    "Your product is great but the manual is confusing.",
    "I'd like to cancel my plan and get a prorated refund.",
    "Is there a student discount for the annual plan?",
)  # fmt: skip

REVIEWS = (
    "Battery life is amazing, but the screen scratches too easily.",
    "Arrived late and the box was crushed. Product works though.",
    "Best purchase this year, my kids love it.",
    "Stopped working after two weeks, support never answered.",
    "Decent for the price. Wouldn't buy again.",
    "Exactly as described, fast shipping, five stars.",
)  # fmt: skip
