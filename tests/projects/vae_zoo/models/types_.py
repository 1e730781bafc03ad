from typing import Any, List, TypeVar

Tensor = TypeVar("torch.tensor")
