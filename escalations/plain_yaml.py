"""The one way the desk reads YAML someone hands it (the escalation config, guided templates): as plain data,
checked against a pydantic schema, every bad value named by its path (`escalation.tiers[1].sla.first_response: …`).

Refused, with the line where it happens: anchors and aliases (510 bytes of nested aliases expand to billions of
nodes), nesting deeper than MAX_DEPTH, a key given twice, text the database cannot store, and tagged types (sets,
binary, timestamps: `2026-01-01` stays text, and `0000-00-00` is not a date PyYAML can build). Documents over
MAX_BYTES are refused before parsing.
"""

from collections.abc import Callable, Hashable, Iterable
from typing import Annotated, Any, ClassVar, NoReturn, TypeVar, get_args

import yaml
from django.core.exceptions import ValidationError
from pydantic import BaseModel, ConfigDict, PlainValidator
from pydantic import ValidationError as SchemaErrors

from escalations.validators import refuse_nul_characters

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 50
TIMESTAMP = "tag:yaml.org,2002:timestamp"
REFUSED_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in ("timestamp", "binary", "set", "omap", "pairs"))


class YamlRefused(ValueError):
    """`problem` completes "The document is …" and names the line when there is one."""

    def __init__(self, problem: str):
        self.problem = problem
        super().__init__(problem)


def _refuse(problem: str, mark: yaml.Mark) -> NoReturn:
    raise yaml.MarkedYAMLError(problem=problem, problem_mark=mark)


class PlainLoader(yaml.SafeLoader):
    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            _refuse("anchors (&name) and aliases (*name) are not accepted: write each value out", event.start_mark)
        if self.depth >= MAX_DEPTH:
            _refuse(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue
            if key in seen:
                _refuse(f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_scalar(self, node: yaml.ScalarNode) -> str:
        value = super().construct_scalar(node)
        try:
            return refuse_nul_characters(value, "this value")
        except ValidationError as error:
            _refuse(error.messages[0].rstrip("."), node.start_mark)

    def refuse_tag(self, node: yaml.Node) -> NoReturn:
        _refuse(f"{node.tag} values are not accepted", node.start_mark)


for _tag in REFUSED_TAGS:
    PlainLoader.add_constructor(_tag, PlainLoader.refuse_tag)


def _problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where} ({getattr(error, 'problem', None) or error})"


def load_plain_yaml(document: str) -> Any:
    """The document's data, or YamlRefused saying what is wrong."""
    size = len(document.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise YamlRefused(f"larger than 1 MB ({size:,} bytes)")
    try:
        return yaml.load(document, Loader=PlainLoader)
    except yaml.YAMLError as error:
        raise YamlRefused(_problem(error)) from None
    except ValueError:  # the only one PyYAML lets through: an integer longer than sys.get_int_max_str_digits()
        raise YamlRefused("not valid YAML (a number has too many digits to read)") from None


S = TypeVar("S", bound="Schema")
Loc = tuple[str | int, ...]


class Schema(BaseModel):
    """A YAML file's shape: unknown keys refused, nothing coerced (60 is not "60"), values read-only once read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class YamlInvalid(ValueError):
    """The document was refused as a whole; `errors` names every bad value by its path ("document" for all of it)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def read_yaml(document: str, schema: type[S], *, across: Callable[[Any], Iterable[tuple[Loc, str]]] | None = None) -> S:
    """The document checked against `schema`, or YamlInvalid with every problem.

    `across(data)` finds what is wrong between records (duplicates, references) as (path, message) pairs; it reads the
    raw data, so those problems are reported together with the records' own, in one pass.
    """
    try:
        data = load_plain_yaml(document)
    except YamlRefused as refused:
        raise YamlInvalid([f"document: {refused.problem}"]) from None
    errors, value = [], None
    try:
        value = schema.model_validate(data)
    except SchemaErrors as invalid:
        errors = [f"{yaml_path(error['loc'])}: {_message(error, schema)}" for error in invalid.errors()]
    errors += [f"{yaml_path(loc)}: {message}" for loc, message in (across(data) if across else ())]
    if errors:
        raise YamlInvalid(errors)
    return value


def yaml_path(loc: Loc) -> str:
    """("escalation", "tiers", 1, "sla") → escalation.tiers[1].sla"""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).removeprefix(".")
    return path or "document"


def describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else repr(value)


SHAPE_MESSAGES = {
    "missing": "missing",
    "model_type": "expected a mapping, got {got}",
    "list_type": "expected a list, got {got}",
    "extra_forbidden": "unknown key (expected one of {keys})",
}


def _message(error: dict, schema: type[Schema]) -> str:
    """Pydantic's words for a wrong shape, said as the desk says them; a validator's ValueError in its own words."""
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    template = SHAPE_MESSAGES.get(error["type"])
    if template is None:
        return error["msg"]
    keys = ", ".join(_keys_at(schema, error["loc"][:-1])) if error["type"] == "extra_forbidden" else ""
    return template.format(got=describe(error["input"]), keys=keys)


def _keys_at(schema: type[BaseModel], loc: Loc) -> list[str]:
    model = schema
    for part in loc:
        if isinstance(part, str):
            field = next(field for name, field in model.model_fields.items() if (field.alias or name) == part)
            model = _model_in(field.annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, get_args(annotation))), None)


def value_type(read: Callable[[Any], Any]) -> Any:
    """A field read by `read`, whose ValueError is the error at the value's path, in the function's words."""
    return Annotated[Any, PlainValidator(read)]


def text(max_length: int | None = None, *, blank: bool = False) -> Any:
    """Text of at most `max_length` characters; with `blank`, empty or left out is fine."""

    def read(value: Any) -> str:
        if blank and value is None:
            return ""
        if not isinstance(value, str) or not (blank or value.strip()):
            raise ValueError(f"expected some text, got {describe(value)}")
        if max_length and len(value) > max_length:
            raise ValueError(f"is {len(value)} characters long; the limit is {max_length}")
        return value

    return value_type(read)


def whole_number(minimum: int, maximum: int) -> Any:
    def read(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ValueError(f"expected a whole number from {minimum} to {maximum}, got {describe(value)}")
        return value

    return value_type(read)


def choice(what: str, choices: list[str]) -> Any:
    def read(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{describe(value)} is not a {what} (expected one of {', '.join(choices)})")
        return value

    return value_type(read)


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError(f"expected true or false, got {describe(value)}")
    return value


FLAG = value_type(_flag)
