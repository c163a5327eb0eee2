"""Telegram-like parsing of formatted text (HTML / MarkdownV2) for the fake Bot API server.

The HTML parser follows the rules of Telegram's own parser (tdlib ``parse_html``): only the
supported tags are accepted, tags must be balanced, only ``&lt; &gt; &amp; &quot;`` and numeric
character references are decoded, and error descriptions use the same wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class EntityParseError(ValueError):
    """Raised when formatted text can't be parsed (Telegram: "can't parse entities: ...")."""


SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_TAG_TO_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram measures text and offsets)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class ParsedText:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        return utf16_len(self.text)


@dataclass
class _OpenTag:
    name: str
    start: int  # offset in UTF-16 units in the output
    attrs: dict[str, str]


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode an HTML character reference at ``text[i] == '&'``; return (char, new_index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = text[i + 1 : end]
    if body.startswith("#"):
        num = body[1:]
        try:
            code = int(num[1:], 16) if num[:1] in ("x", "X") else int(num, 10)
        except ValueError:
            return None
        if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    return None


def _byte_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-8"))


def parse_html(text: str) -> ParsedText:
    out: list[str] = []
    out_len = 0  # UTF-16 length of the output so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            dec = _decode_entity(text, i)
            if dec is None:
                out.append("&")
                out_len += 1
                i += 1
            else:
                out.append(dec[0])
                out_len += utf16_len(dec[0])
                i = dec[1]
            continue
        if ch != "<":
            out.append(ch)
            out_len += 2 if ord(ch) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        i += 1
        if i < n and text[i] == "/":
            # end tag
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            j = i + 1
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 1 : j].lower()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            top = stack[-1]
            if end_name and end_name != top.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{top.name}>", found "</{end_name}>"'
                )
            stack.pop()
            i = j + 1
            length = out_len - top.start
            if length > 0 and not (top.name == "a" and not top.attrs.get("href")):
                entities.append(_make_entity(top, length, entities))
            continue
        # start tag
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name = text[i:j].lower()
        if name not in SUPPORTED_TAGS:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        attrs: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[j] == ">":
                break
            a0 = j
            while j < n and not text[j].isspace() and text[j] not in "=>":
                j += 1
            attr_name = text[a0:j].lower()
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {_byte_offset(text, begin)}'
                )
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != "=":
                if j < n and attr_name == "expandable":
                    attrs[attr_name] = ""
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {_byte_offset(text, begin)}"
                )
            j += 1
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if text[j] in "\"'":
                quote = text[j]
                end = text.find(quote, j + 1)
                if end == -1:
                    raise EntityParseError(
                        f'Unclosed start tag "{name}" at byte offset {_byte_offset(text, begin)}'
                    )
                raw_value = text[j + 1 : end]
                j = end + 1
            else:
                v0 = j
                while j < n and not text[j].isspace() and text[j] != ">":
                    j += 1
                raw_value = text[v0:j]
            attrs[attr_name] = _decode_attr(raw_value)
        i = j + 1
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError("Custom emoji entity must contain a valid custom emoji identifier")
        stack.append(_OpenTag(name=name, start=out_len, attrs=attrs))
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text="".join(out), entities=entities)


def _decode_attr(value: str) -> str:
    res: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            dec = _decode_entity(value, i)
            if dec is not None:
                res.append(dec[0])
                i = dec[1]
                continue
        res.append(value[i])
        i += 1
    return "".join(res)


def _make_entity(tag: _OpenTag, length: int, entities: list[dict[str, Any]]) -> dict[str, Any]:
    etype = _TAG_TO_ENTITY[tag.name]
    ent: dict[str, Any] = {"type": etype, "offset": tag.start, "length": length}
    if tag.name == "a":
        href = tag.attrs.get("href", "")
        if href.startswith("tg://user?id=") and href[13:].isdigit():
            ent = {
                "type": "text_mention",
                "offset": tag.start,
                "length": length,
                "user": {"id": int(href[13:]), "is_bot": False, "first_name": "User"},
            }
        else:
            ent["url"] = href
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        ent["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        ent["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
    elif tag.name == "code":
        # <pre><code class="language-x"> sets the language of the enclosing pre entity
        cls = tag.attrs.get("class", "")
        if cls.startswith("language-"):
            ent["_language"] = cls[len("language-") :]
    elif tag.name == "pre":
        # merge with a nested <code class="language-..."> covering the same range
        for k, other in enumerate(entities):
            if other["type"] == "code" and other["offset"] == tag.start and other["length"] == length:
                if other.get("_language"):
                    ent["language"] = other["_language"]
                del entities[k]
                break
    return ent


def _cleanup(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for e in entities:
        e.pop("_language", None)
    return entities


_MDV2_SPECIAL = set("_*[]()~`>#+-=|{}.!")
_MDV2_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((?:\\.|[^)\\])*\)")


def parse_markdown_v2(text: str) -> ParsedText:
    """Approximate MarkdownV2: strips markup characters and link targets (no entities)."""
    text = _MDV2_LINK.sub(lambda m: m.group(1), text)
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch in "*_~|`":
            i += 1
            continue
        out.append(ch)
        i += 1
    return ParsedText(text="".join(out))


def parse_markdown(text: str) -> ParsedText:
    """Approximate legacy Markdown."""
    text = _MDV2_LINK.sub(lambda m: m.group(1), text)
    return ParsedText(text=re.sub(r"[*_`]", "", text))


def parse_text(text: str, parse_mode: str | None) -> ParsedText:
    """Parse ``text`` according to ``parse_mode``; raises :class:`EntityParseError`."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parsed = parse_html(text)
        _cleanup(parsed.entities)
        return parsed
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    return ParsedText(text=text)


_TAG_RE = re.compile(r"<[^>]*>")


def strip_html(text: str) -> str:
    """Lenient tag stripping for display (never raises)."""
    try:
        return parse_html(text).text
    except EntityParseError:
        return (
            _TAG_RE.sub("", text)
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", '"')
            .replace("&amp;", "&")
        )
