"""The shared text helpers: decoding source bytes, physical lines, positions and edits."""

from __future__ import annotations

import pytest

from shapelint.core.results import Edit
from shapelint.core.text import (
    LineIndex,
    apply_edits,
    decode_for_rewrite,
    decode_source,
    line_starts,
    one_line,
    split_lines,
)


def test_decode_source_follows_pep_263_and_the_bom():
    assert decode_source(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n").endswith("x = '\xe9'\n")
    assert decode_source("\ufeffx = 1\n".encode("utf-8")) == "x = 1\n"
    with pytest.raises((SyntaxError, UnicodeDecodeError)):
        decode_source(b"x = '\xff'\n")
    with pytest.raises((SyntaxError, UnicodeDecodeError)):
        decode_source(b"x = 1\ny = '\xff'\n")
    with pytest.raises(SyntaxError):
        decode_source(b"# coding: no-such-codec\nx = 1\n")


def test_decode_for_rewrite_gives_the_encoding_to_write_back():
    latin = b"# coding: latin-1\nx = '\xe9'\r\n"
    text, encoding = decode_for_rewrite(latin)
    assert encoding == "iso-8859-1" and text.encode(encoding) == latin
    bom = b"\xef\xbb\xbfx = 1\n"
    text, encoding = decode_for_rewrite(bom)
    assert text == "x = 1\n" and text.encode(encoding) == bom
    assert decode_for_rewrite(b"x = '\xff'\n") is None


def test_lines_break_only_where_python_breaks_them():
    text = "a\r\nb\x0cc\rd\u2028e\nf"
    assert split_lines(text) == ["a", "b\x0cc", "d\u2028e", "f"]
    assert [text[start] for start in line_starts(text)] == ["a", "b", "d", "f"]
    assert split_lines("") == [""] and line_starts("") == [0]


def test_positions_outside_the_text_have_no_offset():
    index = LineIndex("ab\r\ncd")
    assert index.offset(1, 1) == 0 and index.offset(1, 3) == 2  # just before the \r\n
    assert index.offset(1, 4) is None  # would split the \r\n
    assert index.offset(2, 3) == 6 and index.offset(3, 1) is None
    assert index.offset(0, 1) is None and index.offset(1, 0) is None


def test_apply_edits_counts_characters_and_keeps_the_order_of_insertions():
    text = "é = f(8)\nx = 1\n"
    edits = [Edit("16", (1, 7), (1, 8)), Edit("a", (2, 1), (2, 1)), Edit("b", (2, 1), (2, 1))]
    assert apply_edits(text, edits) == "é = f(16)\nabx = 1\n"
    with pytest.raises(ValueError):
        apply_edits(text, [Edit("", (1, 1), (1, 5)), Edit("", (1, 3), (1, 6))])
    with pytest.raises(ValueError):
        apply_edits(text, [Edit("", (9, 1), (9, 2))])


def test_one_line_joins_every_run_of_white_space():
    assert one_line("a\n  b\r\n\tc ") == "a b c"
    assert one_line(ValueError("x\ny")) == "x y"
