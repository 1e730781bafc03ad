import argparse
import json

import torch

from env import AttrDict
from models import Generator

parser = argparse.ArgumentParser()
parser.add_argument("--input_mels_dir", default="test_mel_files")
parser.add_argument("--config_file", default="config_v1.json")
a = parser.parse_args()

with open(a.config_file) as f:
    data = f.read()
json_config = json.loads(data)
h = AttrDict(json_config)

if __name__ == "__main__":
    generator = Generator(h)
    y_g_hat = generator(torch.randn(1, h.num_mels, 32))
