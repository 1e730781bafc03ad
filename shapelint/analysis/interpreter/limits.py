"""How far the interpreter follows code: the budgets that keep a pathological file from hanging
or filling the memory. A budget that runs out is reported (SHP301), never a silent clean result."""

#: Loops and comprehensions longer than this are not unrolled (their effects become unknown, and
#: SHP301 says so). Twice the deepest stack the tests check (an 8,192-layer ``nn.Sequential``
#: built by a comprehension, ~2 s); each iteration also counts against ``MAX_STEPS``.
MAX_ITERATIONS = 16_384
#: Lists, tuples and strings that ``+`` or ``*`` would make longer than this are unknown: a
#: doubling loop must not fill the memory.
MAX_LENGTH = 1 << 20
#: Depth of user function calls followed before giving up (recursion, deep helpers).
MAX_CALL_DEPTH = 40
#: Calls of a function already running this many times give unknown (recursion).
MAX_RECURSION = 6
#: Undecidable conditions nested deeper than this are not followed path by path.
MAX_UNDECIDED_NESTING = 4
#: Total statements executed (and comprehension items made) per model, so that a pathological
#: file cannot hang the linter (~30 us each). The most any model of the 980,000-line benchmark
#: corpus needs is 4,707.
MAX_STEPS = 25_000
