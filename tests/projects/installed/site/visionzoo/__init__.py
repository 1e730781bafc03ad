"""visionzoo: image backbones. Importing it loads every family, as vision libraries do."""
from . import layers, models
from .models import create_model, list_models
from .version import __version__

__all__ = ["create_model", "list_models", "layers", "models", "__version__"]
