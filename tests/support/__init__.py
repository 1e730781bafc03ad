"""Helpers shared by the test modules (importable because pytest puts tests/, the directory of
the root conftest.py, on ``sys.path``; see tests/conftest.py).

- :mod:`support.cli`: ``shapelint`` in-process, its JSON, applying its JSON fixes.
- :mod:`support.torch_oracle`: PyTorch runs a model file and says what each module outputs.
- :mod:`support.real_models`: the real models of tests/models/ and their catalogue.
- :mod:`support.layer_oracle`: PyTorch as the oracle of one layer call (the core's layer rules).
- :mod:`support.case_files`: the diagnostic cases of tests/cases/ (one model file per case).

Only :mod:`support.torch_oracle` and :mod:`support.layer_oracle` import torch.
"""
