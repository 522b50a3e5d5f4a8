"""Fence bodies taken out of markdown-it's parse and put back: the tokens are those of the whole text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it.token import Token

from schemadoc.read.markdown import _block_parser, _parse_blocks
from schemadoc.read.md_fences import blank_fences, restore_fences


def _shape(tokens: list[Token]) -> list[tuple[object, ...]]:
    return [
        (t.type, t.tag, t.nesting, t.level, t.map, t.content, t.info, t.markup, t.block, t.hidden)
        for t in tokens
    ]


def _plain(text: str) -> list[tuple[object, ...]]:
    return _shape(_block_parser().parse(text))


def test_one_large_fence_is_parsed_without_its_body_and_restored() -> None:
    body = "".join(f"CREATE TABLE t{i} (id int);\n" for i in range(200))
    text = f"# Title\n\nIntro.\n\n```sql\n{body}```\n\n## After\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    parsed, blanked = blank_fences(text)
    assert len(blanked) == 1 and blanked[0].body == body and blanked[0].lines == 200
    assert body not in parsed and parsed.count("\n") == text.count("\n") - 200
    tokens = _block_parser().parse(parsed)
    assert restore_fences(tokens, blanked)
    assert _shape(tokens) == _plain(text)
    fence = next(t for t in tokens if t.type == "fence")
    assert fence.map == [4, 206] and fence.content == body


def test_fences_after_the_first_get_the_line_numbers_of_the_whole_text() -> None:
    text = "```sql\na;\nb;\n```\n\npara\n\n~~~~\nc;\n~~~~~\n\n- item\n\n```\nd;\n```\n"
    tokens = _parse_blocks(text)
    assert _shape(tokens) == _plain(text)
    assert [t.map for t in tokens if t.type == "fence"] == [[0, 4], [7, 10], [13, 16]]


def test_a_fence_read_as_html_falls_back_to_the_whole_text() -> None:
    # In the whole text the <pre> block ends inside the "fence" (markdown-it never sees a fence
    # there); without the body it would run on to the end. The parse without bodies is refused.
    text = "<pre>\n```\n</pre>\n```\n\ntext\n"
    parsed, blanked = blank_fences(text)
    assert blanked
    assert not restore_fences(_block_parser().parse(parsed), blanked)
    assert _shape(_parse_blocks(text)) == _plain(text)


def test_what_is_not_taken_out() -> None:
    # indented openings, a pipe on the opening line, a backtick in a backtick fence's info string,
    # an unclosed fence and an empty one are left to markdown-it as they are
    for text in (
        "  ```\nx\n  ```\n",
        "```a|b\n|---|\n```\n",
        "```a`b\nx\n```\n",
        "```\nx\n",
        "```\n```\n",
        "no fence at all\n",
    ):
        assert blank_fences(text) == (text, []), text
        assert _shape(_parse_blocks(text)) == _plain(text)


def test_closing_lines_follow_commonmark() -> None:
    # a closing line: at most three spaces, at least as many markers, then only spaces and tabs
    text = "````\na\n```\n    ````\n````` x\n   `````  \t\nafter\n"
    _, blanked = blank_fences(text)
    assert [b.body for b in blanked] == ["a\n```\n    ````\n````` x\n"]
    assert _shape(_parse_blocks(text)) == _plain(text)


_LINES = st.sampled_from(
    [
        "```",
        "```sql",
        "````",
        "~~~",
        "~~~~ sql",
        "```a|b",
        "```a`b",
        "   ```",
        "    ```",
        "  ```",
        "``` ",
        "```\t",
        "text",
        "- item",
        "1. item",
        "  - nested",
        "> quote",
        "> ```",
        "<div>",
        "</div>",
        "<pre>",
        "</pre>",
        "<!-- c",
        "-->",
        "| a | b |",
        "|---|---|",
        "---",
        "===",
        "# head",
        "    code",
        "\tcode",
        "",
        "",
        "CREATE TABLE t (id int);",
        "[ref]: /url",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINES, max_size=30), st.booleans())
def test_property_the_tokens_are_those_of_the_whole_text(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert _shape(_parse_blocks(text)) == _plain(text)
