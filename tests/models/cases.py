"""The real models of the acceptance suite: how to build each in PyTorch and how shapelint sees it.

``inputs`` are the shapes the file (or the command line) declares, with symbolic sizes given the
value the test runs PyTorch with; ``declared_output`` likewise (None when nothing declares an
output). Every output shape the tests compare with is asked from PyTorch, never written here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Tuple

MODELS_DIR = os.path.dirname(os.path.abspath(__file__))

Shape = Tuple[int, ...]


@dataclass(frozen=True)
class ModelCase:
    id: str
    file: str
    #: the model's name in ``shapelint shapes`` (class or module-level variable)
    name: str
    build: Callable[[Any], Any]
    inputs: Tuple[Shape, ...]
    declared_output: Optional[Shape]
    #: substrings marking the lines that declare this model's shapes
    declaration_markers: Tuple[str, ...]
    #: substring of the line that defines the model (class line or assignment)
    model_marker: str
    #: extra command-line arguments (``--input``...), ``{config}`` replaced by a pyproject path
    cli: Tuple[str, ...] = ()
    #: pyproject.toml to write next to the file and pass with --config
    config: Optional[str] = None
    #: per-layer declarations (pragma on a layer): named_modules() name -> declared output
    layer_declarations: Dict[str, Shape] = field(default_factory=dict)
    #: whether the model is correct (PyTorch runs it and gives the declared shapes)
    correct: bool = True

    @property
    def path(self) -> str:
        return os.path.join(MODELS_DIR, self.file)


MLP_CONFIG = """\
[tool.shapelint.inputs]
"mlp" = [8, 10]

[tool.shapelint.outputs]
"mlp" = [8, 4]
"""

CASES = [
    ModelCase(
        id="dcgan-generator",
        file="dcgan.py",
        name="Generator",
        build=lambda m: m.Generator(),
        inputs=((8, 16, 1, 1),),
        declared_output=(8, 3, 32, 32),
        declaration_markers=("# shapelint:",),
        model_marker="class Generator(",
    ),
    ModelCase(
        id="dcgan-discriminator",
        file="dcgan.py",
        name="Discriminator",
        build=lambda m: m.Discriminator(),
        inputs=((8, 3, 32, 32),),
        declared_output=None,
        declaration_markers=("netD(torch.randn(",),
        model_marker="class Discriminator(",
    ),
    ModelCase(
        id="unet",
        file="unet.py",
        name="UNet",
        build=lambda m: m.UNet(),
        inputs=((2, 3, 60, 60),),
        declared_output=(2, 2, 60, 60),
        declaration_markers=("Float[Tensor", "# shapelint: output="),
        model_marker="class UNet(",
        layer_declarations={"up1": (2, 32, 15, 15)},
    ),
    ModelCase(
        id="vae-decoder",
        file="vae.py",
        name="VAEDecoder",
        build=lambda m: m.VAEDecoder(),
        inputs=((4, 16),),
        declared_output=None,
        declaration_markers=("summary(model, input_size=",),
        model_marker="class VAEDecoder(",
    ),
    ModelCase(
        id="vocoder",
        file="vocoder.py",
        name="Generator",
        build=lambda m: m.Generator(),
        inputs=((1, 16, 20),),
        declared_output=(1, 1, 640),
        declaration_markers=(),
        model_marker="class Generator(",
        cli=("--input", "Generator=1,16,20", "--output", "Generator=1,1,640"),
    ),
    ModelCase(
        id="resize-upsampler-3d",
        file="decoder3d.py",
        name="ResizeUpsampler",
        build=lambda m: m.ResizeUpsampler(),
        inputs=((1, 4, 2, 160, 160),),
        declared_output=(1, 4, 2, 224, 224),
        declaration_markers=("# shapelint:",),
        model_marker="class ResizeUpsampler(",
    ),
    ModelCase(
        id="volume-decoder-3d",
        file="decoder3d.py",
        name="VolumeDecoder",
        build=lambda m: m.VolumeDecoder(),
        inputs=((2, 8, 2, 10, 10),),
        declared_output=(2, 2, 2, 40, 40),
        declaration_markers=("Float[Tensor",),
        model_marker="class VolumeDecoder(",
    ),
    ModelCase(
        id="classifier",
        file="classifier.py",
        name="Net",
        build=lambda m: m.Net(),
        inputs=((1, 3, 32, 32),),
        declared_output=None,
        declaration_markers=("net(torch.zeros(",),
        model_marker="class Net(",
    ),
    ModelCase(
        id="sequential-encoder",
        file="sequential.py",
        name="encoder",
        build=lambda m: m.encoder,
        inputs=((4, 1, 28, 28),),
        declared_output=(4, 10),
        declaration_markers=("# shapelint: input=",),
        model_marker="encoder = nn.Sequential(",
        layer_declarations={"2": (4, 8, 12, 12)},
    ),
    ModelCase(
        id="sequential-mlp",
        file="sequential.py",
        name="mlp",
        build=lambda m: m.mlp,
        inputs=((8, 10),),
        declared_output=(8, 4),
        declaration_markers=(),
        model_marker="mlp = nn.Sequential(",
        cli=("--config", "{config}"),
        config=MLP_CONFIG,
    ),
    ModelCase(
        id="mobilenet",
        file="mobilenet.py",
        name="MobileNetTiny",
        build=lambda m: m.MobileNetTiny(),
        inputs=((2, 3, 32, 32),),
        declared_output=(2, 10),
        declaration_markers=("Annotated[Tensor",),
        model_marker="class MobileNetTiny(",
    ),
    ModelCase(
        id="upsampler-160-224",
        file="upsampler_160_224.py",
        name="Upsampler",
        build=lambda m: m.Upsampler(),
        inputs=((1, 4, 2, 160, 160),),
        declared_output=(1, 4, 2, 224, 224),
        declaration_markers=("# shapelint:",),
        model_marker="class Upsampler(",
        correct=False,
    ),
]

CORRECT = [c for c in CASES if c.correct]
FILES = sorted({c.file for c in CASES})


def cases_for(file: str):
    return [c for c in CASES if c.file == file]
