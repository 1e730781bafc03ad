"""Plain Python objects that carry configuration: instances of the file's plain classes (a config
class, a ``@dataclass``, a ``NamedTuple``, an attribute dict such as HiFi-GAN's ``AttrDict``), and
``SimpleNamespace`` / ``argparse.Namespace`` objects. Their attributes are known exactly as Python
would give them, or unknown: a class the interpreter cannot follow exactly (a metaclass, an
unknown base, ``__getattribute__``, a decorator other than ``@dataclass``) is not instantiated.

An object passed to code the interpreter does not follow (an unknown function) may be changed by
it: its attributes are forgotten (``forget``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from ...core.layers import UNKNOWN
from ..collect import ClassInfo, dotted_name
from ..values import BoundMethod, ClassRef, ExternalRef, FunctionRef, LambdaRef, MethodRef
from .scope import Abort, BreakSignal, ContinueSignal, ReturnSignal
from .stdlib import builtin_dict

if TYPE_CHECKING:
    from ..evaluate import Interpreter


class ConfigObject:
    """A value whose attributes the interpreter tracks; ``forget`` makes what is known of it
    unknown (code not followed was given it)."""

    def forget(self) -> None:
        raise NotImplementedError


class ObjectValue(ConfigObject):
    """An instance of a plain class of the file (``cls``), or a ``SimpleNamespace`` /
    ``argparse.Namespace`` (``cls`` None): its instance attributes in ``attrs``."""

    def __init__(self, kind: str, cls: Optional[ClassInfo] = None, attrs: Optional[Dict[str, Any]] = None,
                 frozen: bool = False) -> None:
        self.kind = kind
        self.cls = cls
        self.attrs: Dict[str, Any] = {} if attrs is None else attrs
        #: A frozen dataclass: setting an attribute raises.
        self.frozen = frozen
        #: Code not followed had it: an attribute it does not hold now may be anything.
        self.forgotten = False

    def forget(self) -> None:
        for name in self.attrs:
            self.attrs[name] = UNKNOWN
        self.forgotten = True

    def __repr__(self) -> str:
        return f"ObjectValue({self.kind}, {self.attrs})"


class AttrDictValue(dict, ConfigObject):
    """A dict whose items are also its attributes: an instance of the file's ``class
    AttrDict(dict)`` (``self.__dict__ = self``, or ``__getattr__ = dict.__getitem__``), an
    ``easydict.EasyDict`` or a ``munch.Munch``."""

    def __init__(self, kind: str, cls: Optional[ClassInfo] = None, linked: bool = False) -> None:
        super().__init__()
        self.kind = kind
        self.cls = cls
        #: Its ``__dict__`` is itself: an item is an instance attribute (before dict's methods).
        self.linked = linked
        #: Instance attributes apart from the items (before ``self.__dict__ = self``).
        self.attrs: Dict[str, Any] = {}
        self.forgotten = False

    def forget(self) -> None:
        for key in self:
            self[key] = UNKNOWN
        for name in self.attrs:
            self.attrs[name] = UNKNOWN
        self.forgotten = True


class RecordTuple(tuple):
    """An instance of the file's ``class Cfg(NamedTuple)``: a tuple whose items have names."""

    cls: ClassInfo
    names: Tuple[str, ...]

    @classmethod
    def make(cls, info: ClassInfo, names: Tuple[str, ...], items: List[Any]) -> "RecordTuple":
        record = cls(items)
        record.cls = info
        record.names = names
        return record


@dataclass(eq=False)
class ClosureRef(FunctionRef):
    """A function defined inside a running function: it reads the names of the function that
    defines it (``closure``, that function's locals, read when it is called, as Python's cells)."""

    closure: Dict[str, Any] = field(default_factory=dict)


class FieldSpec:
    """What ``dataclasses.field(...)`` returns in a dataclass body."""

    def __init__(self, default: Any, factory: Any, init: Any, kw_only: Any) -> None:
        self.default = default
        self.factory = factory
        self.init = init
        self.kw_only = kw_only


#: ``default`` of a field without one.
MISSING = object()

#: Methods of a class that change how attributes or instances work: such a class is not followed.
_UNFOLLOWED_METHODS = frozenset({"__new__", "__getattribute__", "__init_subclass__", "__class_getitem__",
                                 "__delattr__", "__set_name__"})
#: Method decorators understood (``property`` is called on reading the attribute).
_METHOD_DECORATORS = frozenset({"property", "staticmethod", "classmethod"})
#: The statements a followed class body may hold.
_CLASS_BODY = (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.Pass, ast.Expr)
#: Keywords of ``@dataclass(...)`` that change nothing the interpreter reads.
_DATACLASS_HARMLESS = frozenset({"frozen", "eq", "repr", "order", "unsafe_hash", "slots", "match_args",
                                 "weakref_slot", "kw_only"})


# --------------------------------------------------------------------------- which classes


def _evaluate_class_body(interp: Interpreter, info: ClassInfo) -> None:
    """The class attributes of ``info`` (operations.py evaluates class bodies; imported here
    late, as operations.py imports this module)."""
    from .operations import _evaluate_class_body as evaluate

    evaluate(interp, info)


def plain_class_kind(interp: Interpreter, info: ClassInfo) -> Optional[str]:
    """How an instance of a class of the file that is no nn.Module is made: "object", "dict"
    (an attribute dict), "dataclass", "namedtuple"; None when it cannot be followed exactly."""
    memo = interp.__dict__.setdefault("_plain_class_kinds", {})
    if id(info) not in memo:
        memo[id(info)] = (info, _plain_class_kind(interp, info, ()))
    return memo[id(info)][1]


def _plain_class_kind(interp: Interpreter, info: ClassInfo, seen: Tuple[ClassInfo, ...]) -> Optional[str]:
    node = info.node
    if info in seen or node.keywords or not _followed_body(node):
        return None
    decorated = _dataclass_options(interp, info)
    if decorated is None:
        return None
    kind = "object"
    for base in node.bases:
        base_kind = _base_kind(interp, info, base, seen)
        if base_kind is None:
            return None
        if base_kind == "namedtuple":
            if len(node.bases) != 1 or decorated or _overrides(info, tuple):
                return None
            return "namedtuple"
        if base_kind == "dataclass":
            base_kind = "object"  # a plain subclass of a dataclass: its fields are instance attributes
        if base_kind != "object":
            if kind != "object" and kind != base_kind:
                return None
            kind = base_kind
    if decorated:
        return "dataclass" if kind in ("object", "dataclass") else None
    if kind == "dict" and _overrides(info, dict):
        return None
    return kind


def _base_kind(interp: Interpreter, info: ClassInfo, base: ast.expr, seen: Tuple[ClassInfo, ...]) -> Optional[str]:
    name = dotted_name(base)
    if name is None:
        return None
    names = _globals_of(interp, info)
    if name in ("object", "dict") and name not in names:
        return name if name == "dict" else "object"
    value = names.get(name.partition(".")[0], UNKNOWN)
    if "." not in name and isinstance(value, ClassRef):
        inner = _plain_class_kind(interp, value.info, seen + (info,))
        return None if inner == "namedtuple" else inner
    if isinstance(value, ExternalRef) and _external_name(value, name) in ("typing.NamedTuple",
                                                                          "typing_extensions.NamedTuple"):
        return "namedtuple"
    return None


#: Methods a dict or tuple class may define and still index, iterate and count as one.
_ATTRIBUTE_HOOKS = frozenset({"__init__", "__getattr__", "__setattr__", "__repr__", "__str__", "__dir__"})


def _overrides(info: ClassInfo, builtin: type) -> bool:
    """Whether the class (or a base of the file) redefines a method of ``builtin`` that indexing,
    ``len``, iteration or the dict methods would use (its items then are not what they seem)."""
    return any(name not in _ATTRIBUTE_HOOKS and hasattr(builtin, name)
               for cls in info.mro() for name in cls.methods)


def _external_name(head: ExternalRef, dotted: str) -> str:
    rest = dotted.partition(".")[2]
    return f"{head.name}.{rest}" if rest else head.name


def _followed_body(node: ast.ClassDef) -> bool:
    for statement in node.body:
        if not isinstance(statement, _CLASS_BODY):
            return False
        if type(statement) is ast.FunctionDef:
            if statement.name in _UNFOLLOWED_METHODS:
                return False
            if any(_decorator_name(d) not in _METHOD_DECORATORS and not _is_setter(d)
                   for d in statement.decorator_list):
                return False
    return True


def _decorator_name(node: ast.expr) -> Optional[str]:
    return dotted_name(node)


def _is_setter(node: ast.expr) -> bool:
    return type(node) is ast.Attribute and node.attr in ("setter", "deleter")


def _globals_of(interp: Interpreter, info: ClassInfo) -> Dict[str, Any]:
    """The names the class's own module sees (another file's class reads that file's)."""
    return info.globals if info.globals is not None else interp.globals


def _dataclass_options(interp: Interpreter, info: ClassInfo) -> Optional[Dict[str, Any]]:
    """``{}`` for a class without decorators; the keywords of ``@dataclass(...)``; None for any
    other decorator, or keywords that change what ``__init__`` does."""
    node = info.node
    if not node.decorator_list:
        return {}
    if len(node.decorator_list) != 1:
        return None
    decorator = node.decorator_list[0]
    call = decorator if type(decorator) is ast.Call else None
    target = call.func if call is not None else decorator
    name = dotted_name(target)
    value = _globals_of(interp, info).get(name.partition(".")[0], UNKNOWN) if name else UNKNOWN
    if not isinstance(value, ExternalRef) or _external_name(value, name) != "dataclasses.dataclass":
        return None
    options: Dict[str, Any] = {"dataclass": True}
    if call is not None:
        if call.args:
            return None
        for keyword in call.keywords:
            if keyword.arg not in _DATACLASS_HARMLESS or type(keyword.value) is not ast.Constant:
                return None
            options[keyword.arg] = keyword.value.value
    return options


# --------------------------------------------------------------------------- instances


def instantiate_plain(interp: Interpreter, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``Cls(...)`` of a class of the file that is no nn.Module; UNKNOWN when not followed."""
    kind = plain_class_kind(interp, info)
    if kind is None:
        return UNKNOWN
    if kind == "namedtuple":
        return _make_record(interp, info, args, kwargs)
    if kind == "dataclass":
        return _make_dataclass(interp, info, args, kwargs)
    instance: Any = AttrDictValue(info.name, info) if kind == "dict" else ObjectValue(info.name, info)
    found = info.find_method("__init__")
    if found is None:
        return instance if _base_init(instance, args, kwargs) else UNKNOWN
    owner, init = found
    if _call_method(interp, FunctionRef(init, owner), instance, args, kwargs) is UNKNOWN:
        return UNKNOWN
    return instance


def _call_method(interp: Interpreter, fn: FunctionRef, receiver: Any, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """Run a method; UNKNOWN when it did not return normally (it raised, or was not followed)."""
    try:
        result = interp.call_function(fn, [receiver] + list(args), kwargs)
    except (ReturnSignal, BreakSignal, ContinueSignal, Abort):
        return UNKNOWN
    return None if result is None else result


def _base_init(instance: Any, args: List[Any], kwargs: Dict[str, Any]) -> bool:
    """``object.__init__`` or ``dict.__init__`` with these arguments; False when Python raises
    or the items are not known."""
    if isinstance(instance, AttrDictValue):
        if len(args) > 1:
            return False
        items = builtin_dict(list(args), dict(kwargs))
        if items is UNKNOWN:
            instance.forget()
            return True
        instance.update(items)
        return True
    return not args and not kwargs


def base_method(interp: Interpreter, receiver: Any, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    """``super().__init__(...)`` of a plain class whose base is ``object``, ``dict`` or a
    ``@dataclass`` (its generated ``__init__``: torchvision's ``MBConvConfig``)."""
    if name != "__base_init__":
        return UNKNOWN
    dataclass_base = _dataclass_base(interp, receiver)
    if dataclass_base is not None:
        return None if _fill_dataclass(interp, dataclass_base, receiver, args, kwargs) else UNKNOWN
    return None if _base_init(receiver, args, kwargs) else UNKNOWN


def _dataclass_base(interp: Interpreter, receiver: Any) -> Optional[ClassInfo]:
    """The one ``@dataclass`` among the bases of an instance's class whose generated
    ``__init__`` a ``super().__init__`` reaches (None: none, or more than one: not followed)."""
    cls = getattr(receiver, "cls", None)
    if not isinstance(receiver, ObjectValue) or cls is None:
        return None
    found = [info for info in cls.mro()[1:] if _dataclass_options(interp, info)]
    if len(found) != 1 or "__init__" in found[0].methods or found[0].find_method("__post_init__") is not None:
        return None
    return found[0]


def _fill_dataclass(interp: Interpreter, info: ClassInfo, instance: "ObjectValue", args: List[Any],
                    kwargs: Dict[str, Any]) -> bool:
    """The generated ``__init__`` of the dataclass ``info`` run on ``instance``."""
    fields = _fields(interp, info)
    bound = _bind_fields(fields, args, kwargs) if fields is not None else None
    if bound is None:
        return False
    for name, value, factory in bound:
        instance.attrs[name] = interp.call(value, [], {}, None) if factory else value
    return True


def _fields(interp: Interpreter, info: ClassInfo) -> Optional[List[Tuple[str, Any, bool, bool]]]:
    """The fields of a dataclass (its dataclass bases' first): (name, default or factory or
    MISSING, whether the default is a factory, keyword-only); None when not followed."""
    fields: Dict[str, Tuple[str, Any, bool, bool]] = {}
    for cls in reversed(info.mro()):
        options = _dataclass_options(interp, cls)
        if not options:
            continue
        _evaluate_class_body(interp, cls)
        kw_only_after = bool(options.get("kw_only", False))
        for statement in cls.node.body:
            if type(statement) is not ast.AnnAssign or type(statement.target) is not ast.Name:
                continue
            annotation = dotted_name(statement.annotation.value if type(statement.annotation) is ast.Subscript
                                     else statement.annotation) or ""
            last = annotation.rsplit(".", 1)[-1]
            if last == "ClassVar":
                continue
            if last in ("InitVar",):
                return None
            if last == "KW_ONLY":
                kw_only_after = True
                continue
            name = statement.target.id
            default: Any = MISSING
            factory = False
            kw_only = kw_only_after
            if statement.value is not None:
                default = cls.attributes.get(name, UNKNOWN)
                if isinstance(default, FieldSpec):
                    spec = default
                    if spec.init is not True or spec.kw_only is UNKNOWN:
                        return None
                    if spec.kw_only is not None:
                        kw_only = bool(spec.kw_only)
                    factory = spec.factory is not MISSING
                    default = spec.factory if factory else spec.default
                elif isinstance(default, (list, dict)):
                    return None  # Python refuses a mutable default: the class is never made
            fields[name] = (name, default, factory, kw_only)
    return list(fields.values())


def _bind_fields(fields: List[Tuple[str, Any, bool, bool]], args: List[Any], kwargs: Dict[str, Any]
                 ) -> Optional[List[Tuple[str, Any, bool]]]:
    """The arguments of a generated ``__init__`` bound to its fields: (name, value or default,
    whether the value is a factory to call); None when Python raises a TypeError."""
    positional = [f for f in fields if not f[3]] + [f for f in fields if f[3]]
    # A field without a default after one with a default: Python refuses the class.
    seen_default = False
    for name, default, factory, kw_only in positional:
        if kw_only:
            continue
        if default is MISSING and seen_default:
            return None
        seen_default = seen_default or default is not MISSING
    remaining = list(args)
    kwargs = dict(kwargs)
    bound: List[Tuple[str, Any, bool]] = []
    for name, default, factory, kw_only in positional:
        if remaining and not kw_only:
            if name in kwargs:
                return None
            bound.append((name, remaining.pop(0), False))
        elif name in kwargs:
            bound.append((name, kwargs.pop(name), False))
        elif default is not MISSING:
            bound.append((name, default, factory))
        else:
            return None
    if remaining or kwargs:
        return None
    return bound


def _make_dataclass(interp: Interpreter, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    fields = _fields(interp, info)
    if fields is None:
        return UNKNOWN
    bound = _bind_fields(fields, args, kwargs)
    if bound is None:
        return UNKNOWN
    instance = ObjectValue(info.name, info)
    for name, value, factory in bound:
        instance.attrs[name] = interp.call(value, [], {}, None) if factory else value
    instance.frozen = bool(_dataclass_options(interp, info).get("frozen", False))
    found = info.find_method("__post_init__")
    if found is not None:
        frozen, instance.frozen = instance.frozen, False  # object.__setattr__ in __post_init__
        if _call_method(interp, FunctionRef(found[1], found[0]), instance, [], {}) is UNKNOWN:
            return UNKNOWN
        instance.frozen = frozen
    return instance


def _make_record(interp: Interpreter, info: ClassInfo, args: List[Any], kwargs: Dict[str, Any]) -> Any:
    _evaluate_class_body(interp, info)
    fields: List[Tuple[str, Any, bool, bool]] = []
    for statement in info.node.body:
        if type(statement) is ast.AnnAssign and type(statement.target) is ast.Name:
            name = statement.target.id
            default = MISSING if statement.value is None else info.attributes.get(name, UNKNOWN)
            fields.append((name, default, False, False))
    bound = _bind_fields(fields, args, kwargs)
    if bound is None:
        return UNKNOWN
    return RecordTuple.make(info, tuple(name for name, _, _ in bound), [value for _, value, _ in bound])


# --------------------------------------------------------------------------- attributes


def object_attribute(interp: Interpreter, value: Any, name: str) -> Any:
    """``value.name`` of an ObjectValue, AttrDictValue or RecordTuple, as Python looks it up."""
    if isinstance(value, RecordTuple):
        if name in value.names:
            return value[value.names.index(name)]
        return _class_member(interp, value, value.cls, name)
    cls = value.cls
    if name == "__dict__":
        return value if isinstance(value, AttrDictValue) and value.linked else value.attrs
    if cls is not None:
        getter = _property(cls, name)
        if getter is not None:
            return _call_method(interp, getter, value, [], {})
    if isinstance(value, AttrDictValue) and value.linked and name in value:
        return value[name]
    if name in value.attrs:
        return value.attrs[name]
    if value.forgotten:
        return UNKNOWN
    if cls is not None:
        member = _class_member(interp, value, cls, name)
        if member is not UNKNOWN:
            return member
    if isinstance(value, AttrDictValue):
        if hasattr(dict, name):
            return MethodRef(value, name)
        return _missing_attribute(interp, value, name)
    return _missing_attribute(interp, value, name) if cls is not None else UNKNOWN


def _class_member(interp: Interpreter, receiver: Any, cls: ClassInfo, name: str) -> Any:
    """A class attribute or method of the class (bound to ``receiver`` as Python binds it)."""
    for info in cls.mro():
        if name in info.methods:
            return bound_method(cls, info, info.methods[name], receiver)
        if _assigns(info, name):
            _evaluate_class_body(interp, info)
            value = info.attributes.get(name, UNKNOWN)
            if isinstance(value, FunctionRef):
                return BoundMethod(receiver, value)  # a function is a method however it got there
            return UNKNOWN if isinstance(value, LambdaRef) else value
    return UNKNOWN


#: Decorators of methods that leave them plain functions of the class.
_TRANSPARENT_DECORATORS = frozenset({"torch.jit.unused", "torch.jit.ignore", "jit.unused", "jit.ignore",
                                     "torch.no_grad", "override", "typing.override", "abstractmethod",
                                     "abc.abstractmethod"})


def bound_method(cls: ClassInfo, owner: ClassInfo, method: ast.FunctionDef, receiver: Any) -> Any:
    """A method of ``owner`` (in ``cls``'s MRO) read from ``receiver``, or from the class when
    ``receiver`` is None, as Python binds it: a ``@classmethod`` to the class, a
    ``@staticmethod`` to nothing; any other decorator leaves it unknown."""
    decorators = {dotted_name(d.func if type(d) is ast.Call else d) for d in method.decorator_list}
    decorators -= _TRANSPARENT_DECORATORS
    function = FunctionRef(method, owner)
    if "staticmethod" in decorators:
        return function
    if "classmethod" in decorators:
        return BoundMethod(ClassRef(cls), function)
    if decorators:
        return UNKNOWN
    return BoundMethod(receiver, function) if receiver is not None else function


def _assigns(info: ClassInfo, name: str) -> bool:
    for statement in info.node.body:
        targets = statement.targets if type(statement) is ast.Assign else \
            [statement.target] if type(statement) is ast.AnnAssign and statement.value is not None else []
        if any(type(t) is ast.Name and t.id == name for t in targets):
            return True
    return False


def _property(cls: ClassInfo, name: str) -> Optional[FunctionRef]:
    for info in cls.mro():
        for statement in info.node.body:
            if type(statement) is ast.FunctionDef and statement.name == name and any(
                    _decorator_name(d) == "property" for d in statement.decorator_list):
                return FunctionRef(statement, info)
        if name in info.methods or _assigns(info, name):
            return None
    return None


def _missing_attribute(interp: Interpreter, value: Any, name: str) -> Any:
    """An attribute not found: what the class's ``__getattr__`` gives (``dict.__getitem__`` /
    ``dict.get`` of an attribute dict, or a method of the file), else unknown (AttributeError)."""
    cls = value.cls
    if cls is None:
        return UNKNOWN
    hook = _dict_hook(cls, "__getattr__")
    if hook is not None and isinstance(value, AttrDictValue):
        if name in value:
            return value[name]
        return None if hook == "dict.get" else UNKNOWN
    found = cls.find_method("__getattr__")
    if found is not None:
        return _call_method(interp, FunctionRef(found[1], found[0]), value, [name], {})
    return UNKNOWN


def _dict_hook(cls: ClassInfo, hook: str) -> Optional[str]:
    """``__getattr__ = dict.__getitem__`` (or ``dict.get``, ``__setattr__ = dict.__setitem__``)
    in a class body: the dict method named."""
    for info in cls.mro():
        for statement in info.node.body:
            if type(statement) is ast.Assign and any(type(t) is ast.Name and t.id == hook for t in statement.targets):
                return dotted_name(statement.value) or "?"
    return None


def set_object_attribute(interp: Interpreter, target: Any, name: str, value: Any) -> None:
    """``target.name = value`` on an ObjectValue or AttrDictValue."""
    if isinstance(target, RecordTuple):
        raise Abort()  # AttributeError: a named tuple's fields cannot be set
    cls = target.cls
    if getattr(target, "frozen", False):
        raise Abort()  # dataclasses.FrozenInstanceError
    if cls is not None:
        if _property(cls, name) is not None:
            target.forget()  # a property's setter (or an AttributeError): not followed
            return
        hook = _dict_hook(cls, "__setattr__")
        if hook is not None:
            if hook == "dict.__setitem__" and isinstance(target, AttrDictValue):
                target[name] = value
            else:
                target.forget()
            return
        found = cls.find_method("__setattr__")
        if found is not None:
            if _call_method(interp, FunctionRef(found[1], found[0]), target, [name, value], {}) is UNKNOWN:
                target.forget()
            return
    if isinstance(target, AttrDictValue):
        if name == "__dict__":
            if value is target:
                target.linked = True
                target.update({k: v for k, v in target.attrs.items() if k not in target})
            else:
                target.forget()
            return
        if target.linked:
            target[name] = value
            return
    target.attrs[name] = value


def forget_object_attribute(target: Any, name: str) -> None:
    """An attribute that code run under an undecidable condition set: unknown after it."""
    if isinstance(target, AttrDictValue) and target.linked:
        target[name] = UNKNOWN
    elif isinstance(target, (ObjectValue, AttrDictValue)):
        target.attrs[name] = UNKNOWN


def forget_passed(args: List[Any], kwargs: Dict[str, Any]) -> None:
    """Objects given to code that is not followed: what is known of them is forgotten."""
    for value in args:
        if isinstance(value, ConfigObject):
            value.forget()
    for value in kwargs.values():
        if isinstance(value, ConfigObject):
            value.forget()


def builtin_vars(args: List[Any]) -> Any:
    """``vars(obj)``: the object's ``__dict__`` itself (a change through it changes the object)."""
    if len(args) != 1:
        return UNKNOWN
    value = args[0]
    if isinstance(value, AttrDictValue):
        return value if value.linked else value.attrs
    if isinstance(value, ObjectValue):
        return value.attrs
    return UNKNOWN

