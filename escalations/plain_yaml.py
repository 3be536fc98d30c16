"""The one way the desk reads YAML someone hands it (the escalation config, guided templates): as plain data.

Refused, with the line where it happens: anchors and aliases (510 bytes of nested aliases expand to billions of
nodes), nesting deeper than MAX_DEPTH, a key given twice, text the database cannot store, and tagged types (sets,
binary, timestamps: `2026-01-01` stays text, and `0000-00-00` is not a date PyYAML can build). Documents over
MAX_BYTES are refused before parsing.
"""

from collections.abc import Hashable
from typing import Any, ClassVar, NoReturn

import yaml
from django.core.exceptions import ValidationError

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
