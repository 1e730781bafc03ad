"""torchvision's own model code, read by shapelint as an installed package, against PyTorch.

For each model builder below, a one-model file (``class Net: self.m = torchvision.models.X()``)
is analysed by ``shapelint shapes --format json`` with a torchvision source tree on
``PYTHONPATH`` (found as an installed package: it is read, never imported), and PyTorch runs
the same builder with forward hooks. Printed per model: the submodules PyTorch runs, how many
shapelint lists and infers, how many of its stated shapes differ from PyTorch's (must be 0), and
the outputs. Then the totals.

Set-up (torchvision is not in the test environment: its wheels need another torch)::

    mkdir -p /tmp/tvsite && cd /tmp/tvsite && unzip -q torchvision-0.29.1-cp311-*.whl \\
        'torchvision/*' 'torchvision-0.29.1.dist-info/*'
    python -m venv /tmp/venv-oracle && /tmp/venv-oracle/bin/pip install torch==2.13.0 numpy pillow
    python benchmarks/torchvision_oracle.py --site /tmp/tvsite --oracle-python /tmp/venv-oracle/bin/python

The oracle imports torchvision beside torch 2.13 with its meta registrations skipped (its C
operators are built for another torch; the classification models do not use them).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

MODELS: List[Tuple[str, str]] = [
    ("resnet18(num_classes=10)", "2,3,64,64"),
    ("resnet50()", "1,3,224,224"),
    ("vgg11()", "1,3,224,224"),
    ("mobilenet_v2()", "1,3,224,224"),
    ("mobilenet_v3_small()", "1,3,224,224"),
    ("densenet121()", "1,3,64,64"),
    ("alexnet()", "1,3,224,224"),
    ("efficientnet_b0()", "1,3,224,224"),
    ("squeezenet1_0()", "1,3,224,224"),
    ("shufflenet_v2_x1_0()", "1,3,224,224"),
    ("convnext_tiny()", "1,3,224,224"),
    ("mnasnet0_5()", "1,3,224,224"),
    ("googlenet(aux_logits=False, init_weights=False)", "1,3,224,224"),
    ("regnet_y_400mf()", "1,3,224,224"),
    ("inception_v3(aux_logits=False, init_weights=False)", "1,3,299,299"),
    ("wide_resnet50_2()", "1,3,224,224"),
    ("resnext50_32x4d()", "1,3,224,224"),
    ("vit_b_16()", "1,3,224,224"),
    ("swin_t()", "1,3,224,224"),
    ("maxvit_t()", "1,3,224,224"),
    ("segmentation.fcn_resnet50(weights_backbone=None)", "1,3,128,128"),
    ("video.r3d_18()", "1,3,8,64,64"),
]

ORACLE = r'''
import json, sys, types
import torch
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
import torchvision
model = eval("torchvision.models." + sys.argv[1], {"torchvision": torchvision})
shape = tuple(int(x) for x in sys.argv[2].split(","))
out = {}
def hook(name):
    def record(module, args, output):
        if isinstance(output, torch.Tensor):
            out.setdefault(name, list(output.shape))
    return record
for name, module in model.named_modules():
    module.register_forward_hook(hook(name))
with torch.no_grad():
    model.eval()(torch.randn(*shape))
print(json.dumps(out))
'''

PROBE = """import torch
import torchvision
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.m = torchvision.models.{builder}

    def forward(self, x):
        return self.m(x)


Net()(torch.randn({shape}))
"""


def pytorch_shapes(oracle_python: str, site: str, builder: str, shape: str) -> Dict[str, List[int]]:
    env = dict(os.environ, PYTHONPATH=site)
    done = subprocess.run([oracle_python, "-c", ORACLE, builder, shape], capture_output=True, text=True,
                          env=env, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"the oracle failed on {builder}: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def shapelint_shapes(site: str, builder: str, shape: str, directory: str) -> Optional[dict]:
    path = os.path.join(directory, "probe.py")
    with open(path, "w") as handle:
        handle.write(PROBE.format(builder=builder, shape=shape))
    env = dict(os.environ, PYTHONPATH=site)
    done = subprocess.run([sys.executable, "-m", "shapelint", "shapes", "--no-cache", "--format", "json", path],
                          capture_output=True, text=True, env=env, timeout=600)
    models = json.loads(done.stdout)["models"]
    return models[0] if models else None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", required=True, help="a directory holding torchvision/ and its .dist-info")
    parser.add_argument("--oracle-python", required=True, help="a Python with torch that can import torchvision")
    args = parser.parse_args(argv)
    totals = {"run": 0, "inferred": 0, "wrong": 0, "followed": 0}
    with tempfile.TemporaryDirectory() as directory:
        os.mkdir(os.path.join(directory, ".git"))  # the probe's own project
        for builder, shape in MODELS:
            theirs = pytorch_shapes(args.oracle_python, args.site, builder, shape)
            model = shapelint_shapes(args.site, builder, shape, directory)
            layers = {layer["name"][2:]: layer["output"] for layer in model["layers"]} if model else {}
            run = [name for name in theirs if name]
            inferred = [n for n in run if layers.get(n) is not None and None not in layers[n]]
            wrong = [(n, layers[n], theirs[n]) for n in inferred if layers[n] != theirs[n]]
            output = model["output"] if model else None
            followed = output is not None and output == theirs.get("")
            totals["run"] += len(run)
            totals["inferred"] += len(inferred)
            totals["wrong"] += len(wrong)
            totals["followed"] += followed
            print(f"{builder:55} {len(inferred):4} of {len(run):4} inferred, {len(wrong)} wrong, "
                  f"output {output} (PyTorch {theirs.get('')})")
            for item in wrong[:5]:
                print("   WRONG", item)
    share = 100 * totals["inferred"] / max(totals["run"], 1)
    print(f"\n{len(MODELS)} models: {totals['inferred']} of {totals['run']} submodules PyTorch runs inferred "
          f"({share:.1f}%), {totals['wrong']} wrong, {totals['followed']} followed to the output")
    return 1 if totals["wrong"] else 0


if __name__ == "__main__":
    sys.exit(main())
