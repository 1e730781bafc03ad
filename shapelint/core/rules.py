"""The documentation of every diagnostic code: the single source for ``shapelint rule``, the
SARIF rule descriptors, the ``url`` of the JSON output and ``docs/rules.md``.

``python -m shapelint.core.rules > docs/rules.md`` regenerates the docs page; a test checks that the
committed page is up to date and that every example really gives (or does not give) its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional

from . import codes

REPOSITORY_URL = "https://github.com/shapelint/shapelint"
#: Every link to a rule's documentation is this page plus the rule's anchor.
RULES_DOCS_URL = REPOSITORY_URL + "/blob/main/docs/rules.md"


@dataclass(frozen=True)
class Rule:
    code: str
    #: kebab-case, like ruff's rule names.
    name: str
    #: One sentence: what the diagnostic says is wrong.
    summary: str
    #: Why it matters, and what to do about it.
    explanation: str
    #: A whole file that gives this code (and nothing else).
    example: str
    #: The same file repaired: gives no diagnostic at all.
    fixed_example: str
    #: When ``--fix`` can repair it (None: never).
    fix: Optional[str] = None

    @property
    def severity(self) -> str:
        return codes.severity(self.code)

    @property
    def anchor(self) -> str:
        """The anchor GitHub gives the rule's heading in docs/rules.md (see ``heading``)."""
        return github_anchor(self.heading)

    @property
    def heading(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def url(self) -> str:
        return f"{RULES_DOCS_URL}#{self.anchor}"

    def to_markdown(self, level: int = 2) -> str:
        marks = "#" * level
        parts = [
            f"{marks} {self.heading}",
            "",
            f"**{self.severity.capitalize()}.** {self.summary}",
            "",
            f"{marks}# Why",
            "",
            self.explanation.strip(),
            "",
        ]
        if self.fix:
            parts += [f"{marks}# Fix", "", self.fix.strip(), ""]
        parts += [
            f"{marks}# Example",
            "",
            "```python",
            self.example.rstrip("\n"),
            "```",
            "",
            "Use instead:",
            "",
            "```python",
            self.fixed_example.rstrip("\n"),
            "```",
        ]
        return "\n".join(parts) + "\n"

    def to_json(self) -> Dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "summary": self.summary,
            "explanation": self.explanation.strip(),
            "fix": self.fix.strip() if self.fix else None,
            "example": self.example,
            "fixed_example": self.fixed_example,
            "url": self.url,
        }


def unwrap(text: str) -> str:
    """Paragraphs as single lines (for plain-text viewers that wrap by themselves)."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_IMPORTS = """\
import torch
from jaxtyping import Float
from torch import Tensor, nn
"""

RULES: List[Rule] = [
    Rule(
        code=codes.PARSE_ERROR,
        name="unparsable-file",
        summary="The file cannot be read or parsed, so none of its models were checked.",
        explanation="""
A syntax error, a bad encoding or an unreadable file stops shapelint from seeing any of the
models in it. Rather than passing the file silently, shapelint reports it, at the position of
the error, and goes on with the other files. Python itself would fail on the same file.
""",
        example="""\
from torch import nn


class Head(nn.Module):
    def __init__(self) -> None
        super().__init__()
        self.fc = nn.Linear(512, 10)
""",
        fixed_example="""\
from torch import nn


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(512, 10)
""",
    ),
    Rule(
        code=codes.BAD_DECLARATION,
        name="invalid-shape-declaration",
        summary="A shape declaration in the file (a pragma or a jaxtyping string) cannot be read.",
        explanation="""
A declared shape is what shapelint checks the model against; one it cannot read is ignored, and
the model is then checked as if nothing had been declared. This covers a `# shapelint:` pragma
that is not `key=shape` pairs of tuple or list literals, and a jaxtyping dimension string that
jaxtyping itself would reject. A malformed `--input`/`--output` value or
`[tool.shapelint.inputs]` entry is not reported per file: the run stops before any file is
checked, with exit status 2 and one line that starts with `SHP002` and names the value (the flake8
plugin, which cannot stop flake8, reports it as an SHP002 diagnostic on line 1 of each file).
""",
        example=f"""\
{_IMPORTS}

# shapelint: input=(8, 3, 64, 64
class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)

    def forward(self, x):
        return self.conv(x)
""",
        fixed_example=f"""\
{_IMPORTS}

# shapelint: input=(8, 3, 64, 64)
class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)

    def forward(self, x):
        return self.conv(x)
""",
    ),
    Rule(
        code=codes.CONFLICTING_DECLARATIONS,
        name="conflicting-shape-declarations",
        summary="Two declarations in the same file give the same tensor different shapes.",
        explanation="""
A file can declare a shape in several ways: a `# shapelint:` pragma, a jaxtyping annotation, an
example input (`Net()(torch.randn(...))`). When two of them disagree, the higher-ranked one is
used (a pragma beats an annotation, which beats an example input) and the other is reported:
one of them is stale, and a reader of the code cannot tell which. Make them agree, or keep one.
Shapes given on the command line or in the configuration override the file's without a
diagnostic: they exist to check the same code with other sizes.
""",
        example=f"""\
{_IMPORTS}

# shapelint: input=(8, 3, 64, 64)
class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "8 3 32 32"]):
        return self.conv(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class Stem(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 16, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "8 3 64 64"]):
        return self.conv(x)
""",
    ),
    Rule(
        code=codes.SHAPE_MISMATCH,
        name="shape-mismatch",
        summary="A layer, statement or model produces a shape other than the one declared.",
        explanation="""
The declared output is what the code after the model relies on: a loss against a target of that
size, a skip connection, the next stage of a pipeline. A 3x3 convolution without padding loses
one pixel on each border, a transposed convolution with the wrong padding or output_padding is
off by one or two: the model runs, and fails or silently misaligns somewhere else.
`shapelint solve` lists the parameters that give exactly the declared size.
""",
        fix="""
When the solver finds parameters that give the declared shape, the diagnostic shows them on a
`help:` line; `--fix` applies them where changing the parameters is safe. The fix edits the
layer most likely to be the mistake, at the place its value is written (see
[the fix policy](fixes.md)).
""",
        example=f"""\
{_IMPORTS}

class Refine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(64, 32, kernel_size=3)

    def forward(self, x: Float[Tensor, "8 64 80 80"]) -> Float[Tensor, "8 32 80 80"]:
        return self.conv(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class Refine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(64, 32, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "8 64 80 80"]) -> Float[Tensor, "8 32 80 80"]:
        return self.conv(x)
""",
    ),
    Rule(
        code=codes.CHANNEL_MISMATCH,
        name="channel-mismatch",
        summary=(
            "A layer's in_channels, in_features, num_features, num_channels or normalized_shape"
            " (input_size, embed_dim/kdim/vdim, d_model for recurrent and attention layers)"
            " differs from what reaches it."
        ),
        explanation="""
PyTorch raises a RuntimeError at the first forward pass (`expected input[8, 32, 64, 64] to have
64 channels, but got 32 channels instead`). It usually follows an edit to one layer of a chain:
the width of one convolution changed and the next layer was not updated. The number of channels
is known without any input size, so this is checked even for models with no declared input.
""",
        fix="""
`--fix` sets the parameter to the number of channels that actually arrives, when that number is
a literal in the code and this layer is certainly the one at fault (a norm layer, or one the rest
of the model contradicts). When the layer that made the count could as well be the slip, the fix
(of the likelier side) is unsafe: `--fix --unsafe-fixes` applies it. Attention and transformer
layers get no automatic fix: their width is also their output's, so changing it would move the
mismatch to the next layer.
""",
        example=f"""\
{_IMPORTS}

# shapelint: input=(8, 3, 64, 64)
encoder = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.Conv2d(64, 64, kernel_size=3, padding=1),
)
""",
        fixed_example=f"""\
{_IMPORTS}

# shapelint: input=(8, 3, 64, 64)
encoder = nn.Sequential(
    nn.Conv2d(3, 32, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.Conv2d(32, 64, kernel_size=3, padding=1),
)
""",
    ),
    Rule(
        code=codes.INVALID_PARAMETERS,
        name="invalid-layer-parameters",
        summary="A layer's parameters are a combination PyTorch rejects.",
        explanation="""
Some parameter combinations are refused by PyTorch, at construction or at the first forward
pass: an `output_padding` not smaller than the `stride` or the `dilation`, pooling padding over
half the kernel, `padding='same'` with a stride above 1 or on a transposed convolution, a
`forward(x, output_size=...)` outside the reachable range, `groups` that does not divide the
channels, and the like. None of these need an input size, so they are checked on every model.
""",
        fix="""
When a value PyTorch accepts is known (an `output_padding` below the stride, for instance), the
diagnostic shows the corrected layer on a `help:` line and `--fix` applies it. A `stride=0` or an
`out_channels=0` gets the value that makes the rest of the model and its declared output hold
(checked by analysing the edited file), offered as an unsafe fix.
""",
        example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1, output_padding=2)

    def forward(self, x: Float[Tensor, "8 64 40 40"]):
        return self.up(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)

    def forward(self, x: Float[Tensor, "8 64 40 40"]):
        return self.up(x)
""",
    ),
    Rule(
        code=codes.WRONG_RANK,
        name="wrong-tensor-rank",
        summary="A layer receives a tensor with a number of dimensions it does not accept.",
        explanation="""
`Conv2d` takes `(C, H, W)` or `(N, C, H, W)`; fed a video batch `(N, C, T, H, W)` it raises a
RuntimeError. The usual causes are a layer of the wrong dimensionality (`Conv2d` for `Conv3d`),
a missing `flatten` before a `Linear` head, or a reshape that dropped or added a dimension.
""",
        example=f"""\
{_IMPORTS}

class VideoHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(16, 8, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "2 16 4 32 32"]):
        return self.conv(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class VideoHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv3d(16, 8, kernel_size=3, padding=1)

    def forward(self, x: Float[Tensor, "2 16 4 32 32"]):
        return self.conv(x)
""",
    ),
    Rule(
        code=codes.NON_POSITIVE_SIZE,
        name="non-positive-size",
        summary="A size becomes zero or negative (a kernel larger than the padded input).",
        explanation="""
Each stride-2 stage halves the spatial size; an encoder with one stage too many for its input
runs a kernel over an input smaller than the kernel, and PyTorch raises (`Kernel size can't be
greater than actual input size`, `Output size is too small`). The size where it happens is
reported: drop a stage, pad, or feed a larger input.
""",
        fix="""
When a small change of the layer (its padding, kernel or stride) keeps the size positive and the
declared output holds, the diagnostic shows the changed layer on a `help:` line and
`--fix --unsafe-fixes` applies it. It is unsafe when layers before this one made the size too:
which of them is wrong is a guess (a layer upstream that breaks the pattern of its siblings, a
stride 3 among strides 2, is proposed first, on its own line). Dropping a stage instead is a
design decision left to you.
""",
        example=f"""\
{_IMPORTS}

# shapelint: input=(1, 3, 8, 8)
encoder = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1),
    nn.MaxPool2d(2),
    nn.MaxPool2d(2),
    nn.MaxPool2d(2),
    nn.MaxPool2d(2),
)
""",
        fixed_example=f"""\
{_IMPORTS}

# shapelint: input=(1, 3, 8, 8)
encoder = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=3, padding=1),
    nn.MaxPool2d(2),
    nn.MaxPool2d(2),
    nn.MaxPool2d(2),
)
""",
    ),
    Rule(
        code=codes.INCOMPATIBLE_SHAPES,
        name="incompatible-shapes",
        summary="Tensors are combined (torch.cat, +, *, a skip connection) with shapes that do not fit.",
        explanation="""
`torch.cat` needs every dimension but the concatenated one to match, and elementwise operators
need shapes that broadcast. In an encoder-decoder, a downsampling stage that rounds down (an odd
size, a convolution without padding) makes the decoder's output one pixel smaller than the skip
connection it is joined with.
""",
        fix="""
When changing one layer's parameters makes the shapes fit, the diagnostic shows the changed
layer on a `help:` line and `--fix` applies it. When the model takes sizes near the declared
input but not that one (an odd size into a U-Net), no layer is changed: the message names the
nearest sizes it takes (pad to 164 or crop to 160).
""",
        example=f"""\
{_IMPORTS}

class SkipBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(16, 16, kernel_size=3, stride=2)
        self.up = nn.ConvTranspose2d(16, 16, kernel_size=2, stride=2)

    def forward(self, x: Float[Tensor, "1 16 64 64"]):
        return torch.cat([x, self.up(self.down(x))], dim=1)
""",
        fixed_example=f"""\
{_IMPORTS}

class SkipBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(16, 16, kernel_size=2, stride=2)

    def forward(self, x: Float[Tensor, "1 16 64 64"]):
        return torch.cat([x, self.up(self.down(x))], dim=1)
""",
    ),
    Rule(
        code=codes.CHECKERBOARD,
        name="checkerboard-transposed-conv",
        summary="A transposed convolution's kernel size is not a multiple of its stride.",
        explanation="""
With `kernel_size % stride != 0`, the kernel overlaps itself unevenly: some output positions
receive contributions from more input positions than their neighbours, which shows as a
checkerboard pattern in generated images (Odena et al., "Deconvolution and Checkerboard
Artifacts", Distill 2016). A kernel that is a multiple of the stride (4 for stride 2) gives the
same output size with `padding` adjusted; `shapelint solve` lists the options.
""",
        example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(64, 32, kernel_size=3, stride=2, padding=1, output_padding=1)

    def forward(self, x: Float[Tensor, "8 64 80 80"]) -> Float[Tensor, "8 32 160 160"]:
        return self.up(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)

    def forward(self, x: Float[Tensor, "8 64 80 80"]) -> Float[Tensor, "8 32 160 160"]:
        return self.up(x)
""",
    ),
    Rule(
        code=codes.CROPS_INPUT,
        name="transposed-conv-crops-input",
        summary="A transposed convolution's padding crops more than its kernel covers.",
        explanation="""
The `padding` of a transposed convolution removes `padding` positions from each border of the
full output. The first input contributes to the first `dilation * (kernel_size - 1) + 1`
positions only; with more padding than `dilation * (kernel_size - 1)` all of them are removed,
and so are the last input's at the other border: those inputs no longer influence the output at
all. A larger kernel reaches the same output size without losing the border.
""",
        example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(32, 16, kernel_size=2, stride=2, padding=2)

    def forward(self, x: Float[Tensor, "4 32 50 50"]) -> Float[Tensor, "4 16 96 96"]:
        return self.up(x)
""",
        fixed_example=f"""\
{_IMPORTS}

class Upsample(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=3)

    def forward(self, x: Float[Tensor, "4 32 50 50"]) -> Float[Tensor, "4 16 96 96"]:
        return self.up(x)
""",
    ),
    Rule(
        code=codes.SIZE_GAPS,
        name="sizes-with-gaps",
        summary="The model fits its declared shapes only for some sizes of a name, with gaps between them.",
        explanation="""
A size declared as a name (`Float[Tensor, "b 3 h w"]`) stands for every positive size. When the
model runs (and gives its declared output) only for some of them with gaps between, such as a
U-Net whose skip connections need `h % 16 == 0`, the declaration promises sizes the model
rejects. The diagnostic gives the condition and the smallest size that fails above the smallest
that works. Declare the sizes the model takes (`"b 3 16*k 16*k"`), or pad or crop the input. A
mere minimum size (`h >= 16`) is not a gap and is not reported.
""",
        example=f"""\
{_IMPORTS}

class Halve(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv1d(1, 1, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose1d(1, 1, 2, stride=2)

    def forward(self, x: Float[Tensor, "b 1 t"]) -> Float[Tensor, "b 1 t"]:
        return self.up(self.down(x))
""",
        fixed_example=f"""\
{_IMPORTS}

class Halve(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv1d(1, 1, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose1d(1, 1, 2, stride=2)

    def forward(self, x: Float[Tensor, "b 1 2*t"]) -> Float[Tensor, "b 1 2*t"]:
        return self.up(self.down(x))
""",
    ),
    Rule(
        code=codes.TRACKING_STOPPED,
        name="shape-tracking-stops",
        summary="The analysis of a model stops here, for the reason given (off by default).",
        explanation="""
Where shapelint cannot follow a model, what depends on that place is unknown and is not checked,
never guessed. For each model with a declared input, this note marks the first such place and
says why: a block imported from a file that is not read (`` `Down` is imported from `mylib`, which
is not read``), a torch class shapelint does not model, a call of something that could not be
evaluated, a container whose number of items could not be evaluated. Declaring the shape there,
`# shapelint: output=(...)` trailing the block's constructor (or the statement of the call),
lets the analysis go on from it; `shapelint shapes` gives the reason of every unknown layer.

shapelint also follows a model's code with budgets, so that no file can hang it: loops and
comprehensions are unrolled for at most 16,384 iterations, and each model may run at most 25,000
statements and comprehension items; the search for a fix has budgets of its own. When a budget
that runs out leaves a declared output unchecked (or a fix unsearched), this note says where and
which, so that an unchecked model is never mistaken for a clean one; checking the model as the
tests build it (a smaller depth, through an example input) gets its shapes checked again. It is
off by default: `--select SHP301` (or `extend-select = ["SHP301"]`) shows it.
""",
        example=f"""\
{_IMPORTS}

class Net(nn.Module):
    def __init__(self, depth: int = 100_000) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[nn.Conv1d(8, 8, 3, padding=1) for _ in range(depth)])
        self.head = nn.Conv1d(8, 4, 1)

    def forward(self, x: Tensor) -> Float[Tensor, "1 4 32"]:
        return self.head(self.blocks(x))


if __name__ == "__main__":
    net = Net(100_000)
    print(net(torch.zeros(1, 8, 32)).shape)
""",
        fixed_example=f"""\
{_IMPORTS}

class Net(nn.Module):
    def __init__(self, depth: int = 100_000) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[nn.Conv1d(8, 8, 3, padding=1) for _ in range(depth)])
        self.head = nn.Conv1d(8, 4, 1)

    def forward(self, x: Tensor) -> Float[Tensor, "1 4 32"]:
        return self.head(self.blocks(x))


if __name__ == "__main__":
    net = Net(12)
    print(net(torch.zeros(1, 8, 32)).shape)
""",
    ),
]

RULES_BY_CODE: Dict[str, Rule] = {rule.code: rule for rule in RULES}


def get_rule(code_or_name: str) -> Optional[Rule]:
    """A rule by its code (any case) or its kebab-case name."""
    key = code_or_name.strip()
    rule = RULES_BY_CODE.get(key.upper())
    if rule is not None:
        return rule
    return next((r for r in RULES if r.name == key.lower()), None)


def rule_url(code: str) -> Optional[str]:
    rule = RULES_BY_CODE.get(code)
    return rule.url if rule else None


def rules_markdown() -> str:
    """The whole docs/rules.md page."""
    lines = [
        "# shapelint rules",
        "",
        "<!-- Generated by `python -m shapelint.core.rules > docs/rules.md`; do not edit by hand. -->",
        "",
        "SHP0xx are about the input (the file or its shape declarations), SHP1xx are errors: each",
        "is a certain failure or mismatch at run time. SHP2xx are warnings about valid but poor",
        "choices. SHP3xx are notes about the analysis itself, off by default (`--select SHP301`).",
        "`shapelint rule CODE` prints one of these sections.",
        "",
        "A `# noqa: SHP101` comment on the line where a diagnostic starts silences it there (a bare",
        "`# noqa` silences every code on that line); `select`, `ignore` and `per-file-ignores` in",
        "the [configuration](configuration.md) choose the codes for a whole project.",
        "",
        "| code | name | summary |",
        "|---|---|---|",
    ]
    for rule in RULES:
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [{rule.code}](#{rule.anchor}) | {rule.name} | {summary} |")
    lines.append("")
    body = "\n".join(lines) + "\n"
    return body + "\n".join(rule.to_markdown() for rule in RULES)


if __name__ == "__main__":
    import sys

    sys.stdout.write(rules_markdown())
