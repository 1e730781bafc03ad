"""Modules as values: the containers (``nn.Sequential``, ``ModuleList``, ``ModuleDict``), the
attributes a layer keeps, and the methods of ``nn.Module`` (``self.blocks.append(...)``).

A method's handler is ``(propagator, module, name, args, kwargs, node) -> value``; a name with no
handler gives an unknown value.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ...core.layers import UNKNOWN, LayerSpec
from ..evaluate import _STAR_UNKNOWN, iter_known
from ..unknown_reasons import ReasonIndex, excerpt, item_node
from ..values import (
    ModuleDictModule,
    ModuleListModule,
    ModuleValue,
    OpaqueModule,
    SequentialModule,
    UserModule,
    unknown_module,
)
from .module_calls import sequential_forward
from .registry import Args, Kwargs, registry

if TYPE_CHECKING:
    from ..propagate import Propagator

ModuleMethod = Callable[["Propagator", ModuleValue, str, List[Any], Dict[str, Any], Any], Any]


# ----------------------------------------------------------------------------- containers


class UnknownItems:
    """Makes the module that stands for an item of a container that could not be evaluated: it
    is certainly a module (torch accepts nothing else there), so it keeps its place and name."""

    __slots__ = ("reasons", "call", "statement", "attach")

    def __init__(self, reasons: ReasonIndex, call: Optional[ast.Call], statement: Optional[ast.stmt],
                 attach: Optional[Callable[[ModuleValue], None]] = None) -> None:
        self.reasons = reasons
        #: The call whose arguments hold the items (the container's, or ``.append(...)``).
        self.call = call
        self.statement = statement
        #: Attaches a pragma trailing the item (``# shapelint: output=...`` declares its output).
        self.attach = attach

    def module(self, position: Tuple[Any, ...]) -> OpaqueModule:
        """The unknown module for the item at ``position`` of the call's arguments (see
        ``unknown_reasons.item_node``)."""
        node = item_node(self.call, position)
        if node is not None and self.reasons.module is not None:
            reason = self.reasons.expression(node)
        else:
            reason = self._fallback()
        module = unknown_module(reason, node if type(node) is ast.Call else None, self.statement)
        if self.attach is not None:
            self.attach(module)
        return module

    def unknown_length(self) -> str:
        """Why the items of a ``*iterable`` are not known."""
        starred = [a for a in self.call.args if type(a) is ast.Starred] if type(self.call) is ast.Call else []
        if starred:
            names = ", ".join(f"`*{excerpt(a.value)}`" for a in starred)
            return f"the number of its items could not be evaluated ({names})"
        if type(self.call) is ast.Call and self.call.args:
            return f"the number of its items could not be evaluated (`{excerpt(self.call.args[0])}`)"
        return "the number of its items could not be evaluated"

    def _fallback(self) -> str:
        starred = [a for a in self.call.args if type(a) is ast.Starred] if type(self.call) is ast.Call else []
        if starred:
            return f"an item of `*{excerpt(starred[0].value)}` could not be evaluated"
        return "an item of the container could not be evaluated"


def add_child(module: ModuleValue, name: str, value: Any, items: UnknownItems,
              position: Tuple[Any, ...]) -> None:
    """Register ``value`` as child ``name``: a value that could not be evaluated is an unknown
    module under that name; anything else but a module (or None) makes ``module`` incomplete."""
    if isinstance(value, ModuleValue):
        module.children[name] = value
    elif value is None:
        module.children[name] = None  # type: ignore[assignment]
    elif value is UNKNOWN:
        module.children[name] = items.module(position)
    else:
        module.incomplete = True


def _append_all(module: ModuleValue, values: Any, items: UnknownItems, position: Tuple[Any, ...]) -> None:
    """Add ``values`` after the children; not when the number of children is not known (their
    names would be guesses)."""
    if module.incomplete:
        return
    for i, value in enumerate(values):
        add_child(module, str(len(module.children)), value, items, position + (i,))


def _fill_sequential(module: ModuleValue, args: List[Any], items: UnknownItems) -> None:
    if len(args) == 1 and args[0] is UNKNOWN and _written_as_a_mapping(items.call):
        # ``nn.Sequential(OrderedDict(blocks))`` of unknown blocks: its children's names are keys.
        module.incomplete = True
        module.incomplete_reason = items.unknown_length()
        return
    if len(args) == 1 and isinstance(args[0], dict):
        for key, value in args[0].items():
            add_child(module, str(key), value, items, (0, str(key)))
    else:
        _append_all(module, args, items, ())


def _written_as_a_mapping(call: Any) -> bool:
    """Whether a container's one argument is written as a mapping (``OrderedDict(...)``, a
    ``dict`` display or comprehension): its children are then named by its keys."""
    if type(call) is not ast.Call or len(call.args) != 1:
        return False
    argument = call.args[0]
    if type(argument) in (ast.Dict, ast.DictComp):
        return True
    if type(argument) is not ast.Call:
        return False
    callee = argument.func
    name = callee.attr if type(callee) is ast.Attribute else getattr(callee, "id", "")
    return name in ("OrderedDict", "dict")


def _fill_module_list(module: ModuleValue, args: List[Any], items: UnknownItems) -> None:
    if not args:
        return
    known = iter_known(args[0])
    if known is None:
        module.incomplete = True
        module.incomplete_reason = items.unknown_length()
        return
    _append_all(module, known, items, (0,))


def _fill_module_dict(module: ModuleValue, args: List[Any], items: UnknownItems) -> None:
    if not args:
        return
    source = args[0]
    if isinstance(source, dict):
        for key, value in source.items():
            add_child(module, str(key), value, items, (0, str(key)))
        return
    known = iter_known(source)
    if known is None:
        module.incomplete = True
        module.incomplete_reason = items.unknown_length()
        return
    for item in known:
        if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str):
            add_child(module, item[0], item[1], items, (0, item[0]))
        else:
            module.incomplete = True


class Container(NamedTuple):
    """The value of a torch container, and how its constructor arguments become its children."""

    value_class: type
    fill: Callable[[ModuleValue, List[Any], UnknownItems], None]


#: By torch name.
CONTAINERS: Mapping[str, Container] = registry(
    (("Sequential",), Container(SequentialModule, _fill_sequential)),
    (("ModuleList",), Container(ModuleListModule, _fill_module_list)),
    (("ModuleDict",), Container(ModuleDictModule, _fill_module_dict)),
)

#: The container a user class derives from (``ClassInfo.kind``).
_CONTAINER_OF_KIND = {"sequential": "Sequential", "modulelist": "ModuleList", "moduledict": "ModuleDict"}


def fill_container(module: ModuleValue, kind: str, args: List[Any], items: UnknownItems) -> None:
    """The children of a ``kind`` container (``Sequential``...) built with ``args``; after a
    ``*iterable`` of unknown length no name is certain, so none is given."""
    if _STAR_UNKNOWN in args:
        if kind == "Sequential":
            _append_all(module, args[:args.index(_STAR_UNKNOWN)], items, ())
        module.incomplete = True
        module.incomplete_reason = items.unknown_length()
        return
    CONTAINERS[kind].fill(module, args, items)


def base_init(module: UserModule, args: Args, kwargs: Kwargs, items: UnknownItems) -> None:
    """``super().__init__(...)`` of a user class: a container's fills it."""
    kind = _CONTAINER_OF_KIND.get(module.cls.kind if module.cls is not None else "module")
    if kind is not None:
        fill_container(module, kind, args, items)


# ----------------------------------------------------------------------------- layer attributes


def layer_attribute(spec: LayerSpec, params: Dict[str, Any], name: str) -> Any:
    """``layer.NAME`` for a constructor parameter ``name``, as torch keeps it."""
    if spec.stored_attributes is not None and name not in spec.stored_attributes:
        return UNKNOWN  # a constructor argument the module does not keep as it is
    value = params[name]
    fallback = dict(spec.attribute_fallbacks).get(name)
    if fallback is not None:
        return params[fallback] if value is None else value
    if name in spec.tuple_attributes:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,) * (spec.spatial_dims or 1)
        if isinstance(value, list):
            return tuple(value)
    return value


# ----------------------------------------------------------------------------- methods


def _items(p: Propagator, node: Any) -> UnknownItems:
    """Where the items of a method call on a container come from (for unknown ones)."""
    return p.unknown_items(node if type(node) is ast.Call else None)


def _base_init(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if isinstance(module, UserModule):
        if module.cls is not None and module.cls.kind == "layer":
            module.base_layer = p.base_layer(module.cls, args, kwargs, node)
        else:
            base_init(module, args, kwargs, _items(p, node))
    return None


def _base_forward(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``super().forward(x)`` of a user class deriving from ``nn.Sequential`` or from a layer."""
    if isinstance(module, UserModule) and module.cls is not None and module.cls.kind == "layer":
        if module.base_layer is None:
            return UNKNOWN
        return p.call_module(module.base_layer, args, kwargs, node)
    return sequential_forward(p, module, args, kwargs, node)


def _call(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return p.call_module(module, args, kwargs, node)


def _add_module(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 2:
        return UNKNOWN
    key, value = args
    if isinstance(key, str):
        add_child(module, key, value, _items(p, node), (1,))
    else:
        module.incomplete = True
    return None


def _append(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 1 or not isinstance(module, (ModuleListModule, SequentialModule, UserModule)):
        return UNKNOWN
    if not module.incomplete:  # after an unknown number of children, its index is not known
        add_child(module, str(len(module.children)), args[0], _items(p, node), (0,))
    return module


def _extend(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 1:
        return UNKNOWN
    items = iter_known(args[0])
    if items is None:
        module.incomplete = True
    else:
        _append_all(module, items, _items(p, node), (0,))
    return module


def _insert(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 2 or not isinstance(args[0], int) or isinstance(args[0], bool):
        module.incomplete = True
        module.children.clear()  # the item went somewhere: no index is certain
        return UNKNOWN
    index, value = args
    if value is UNKNOWN:
        value = _items(p, node).module((1,))
    values = list(module.children.values())
    if module.incomplete and not 0 <= index <= len(values):
        # Among the children whose number is not known: the known ones before it keep their
        # index only when it lands after them.
        if index < 0:
            module.children.clear()
        return None
    values.insert(index, value)
    incomplete = module.incomplete
    module.children.clear()
    module.incomplete = False
    _append_all(module, values, _items(p, None), ())
    module.incomplete = incomplete
    return None


def _setitem(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``container[key] = value``."""
    if len(args) != 2:
        return UNKNOWN
    key, value = args
    if isinstance(module, ModuleDictModule) and isinstance(key, str):
        add_child(module, key, value, _items(p, None), ())
    elif isinstance(key, int) and not isinstance(key, bool) and not module.incomplete:
        keys = list(module.children)
        if -len(keys) <= key < len(keys) and (isinstance(value, ModuleValue) or value is UNKNOWN):
            module.children[keys[key]] = value if value is not UNKNOWN else _items(p, None).module(())
        else:
            module.incomplete = True
    else:
        module.incomplete = True
    return None


def _slice(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``container[a:b]``: a container of the same kind with those children."""
    items = list(module.children.items())[args[0]]
    copy = type(module)(module.type_name, node=module.node, statement=module.statement)
    for i, (key, value) in enumerate(items):
        copy.children[key if isinstance(module, SequentialModule) else str(i)] = value
    return copy


def _add(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``container + items`` (and so ``container += items``): a new container of the same kind
    whose children are numbered from 0, as ``ModuleList.__add__`` (any iterable) and
    ``Sequential.__add__`` (another Sequential) make it."""
    if len(args) != 1 or not isinstance(module, (ModuleListModule, SequentialModule)):
        return UNKNOWN
    other = args[0]
    if isinstance(other, type(module)):
        items = list(other.children.values())
    elif isinstance(module, ModuleListModule) and not isinstance(other, ModuleValue):
        items = iter_known(other)
    else:
        return UNKNOWN
    copy = type(module)(module.type_name, node=module.node, statement=module.statement)
    unknown = _items(p, None)
    _append_all(copy, list(module.children.values()), unknown, ())
    copy.incomplete = module.incomplete or items is None
    _append_all(copy, items or (), unknown, ())
    copy.incomplete = copy.incomplete or getattr(other, "incomplete", False)
    return copy


def _register_tensor(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``register_buffer(name, tensor)`` / ``register_parameter``."""
    if len(args) < 2 or not isinstance(args[0], str):
        return UNKNOWN
    if isinstance(module, UserModule):
        module.attrs[args[0]] = args[1]
    return None


def _modules(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [m for _, m in module.named_modules()]


def _named_modules(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return list(module.named_modules())


def _children(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [m for m in module.children.values() if isinstance(m, ModuleValue)]


def _named_children(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [(k, m) for k, m in module.children.items() if isinstance(m, ModuleValue)]


def _dict_view(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``keys()`` / ``values()`` / ``items()`` of a ModuleDict (or of a subclass of one)."""
    subclass = isinstance(module, UserModule) and module.cls is not None and module.cls.kind == "moduledict"
    if not isinstance(module, ModuleDictModule) and not subclass:
        return UNKNOWN
    if module.incomplete:
        return UNKNOWN
    return list(getattr(module.children, name)())


def _same_module(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``.to(device)``, ``.eval()`` and the like return the module itself."""
    return module


MODULE_METHODS: Mapping[str, ModuleMethod] = registry(
    (("__base_init__",), _base_init),
    (("__base_forward__",), _base_forward),
    (("__call__",), _call),
    (("add_module", "register_module"), _add_module),
    (("append",), _append),
    (("extend",), _extend),
    (("insert",), _insert),
    (("__setitem__",), _setitem),
    (("__slice__",), _slice),
    (("__add__",), _add),
    (("register_buffer", "register_parameter"), _register_tensor),
    (("modules",), _modules),
    (("named_modules",), _named_modules),
    (("children",), _children),
    (("named_children",), _named_children),
    (("keys", "values", "items"), _dict_view),
    (("to", "cuda", "cpu", "eval", "train", "float", "double", "half", "requires_grad_", "apply",
      "bfloat16", "type", "share_memory"), _same_module),
)
