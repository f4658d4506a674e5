"""A small Dockerfile reader for rule checks: instructions per stage, heredocs skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Instruction", "Stage", "stages"]

_HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    arguments: str  # continuation lines joined; heredoc bodies kept in ``heredoc``
    heredoc: str = ""


@dataclass
class Stage:
    base: str  # the FROM image, with ARG defaults substituted
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def _logical_lines(text: str) -> list[tuple[str, str]]:
    lines = text.splitlines()
    result: list[tuple[str, str]] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        while line.endswith("\\") and index < len(lines):
            nxt = lines[index]
            index += 1
            if nxt.lstrip().startswith("#"):
                continue
            line = line[:-1] + " " + nxt.strip()
        body: list[str] = []
        match = _HEREDOC.search(line)
        if match and line.split(None, 1)[0].upper() in {"RUN", "COPY"}:
            while index < len(lines) and lines[index].strip() != match[1]:
                body.append(lines[index])
                index += 1
            index += 1  # the terminator
        result.append((line.strip(), "\n".join(body)))
    return result


def stages(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages of a Dockerfile."""
    args: dict[str, str] = {}
    found: list[Stage] = []
    for line, heredoc in _logical_lines(path.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "ARG" and not found:
            name, _, default = rest.partition("=")
            args[name] = default
        elif keyword == "FROM":
            image, *alias = rest.split()
            for name, value in args.items():
                image = image.replace(f"${{{name}}}", value).replace(f"${name}", value)
            found.append(Stage(image, alias[1] if len(alias) > 1 else None))
        elif found:
            found[-1].instructions.append(Instruction(keyword, rest, heredoc))
    return args, found
