"""Streams: split invariance, str streams and misuse."""

from __future__ import annotations

from typing import List

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dlp

ENGINE = dlp.Engine()

# Valid values of each built-in sensor, and fillers around them.
VALUES = [
    "2 55 08 14 168 025 38",
    "184076912304548",
    "536-22-8451",
    "4111111111111111",
    "5555 5555 5555 4444",
    "FR14 2004 1010 0505 0001 3M02 606",
    "jane.doe@example.com",
]
FILLERS = [" ", ", ", "\n", " SSN ", " NIR: ", " café ", " 😀 ", "x", "-"]

pieces = st.lists(st.sampled_from(VALUES + FILLERS), max_size=25)


def cuts_of(length: int) -> st.SearchStrategy[List[int]]:
    return st.lists(
        st.integers(min_value=0, max_value=length), max_size=12
    ).map(sorted)


def feed_all(stream: dlp.Stream, parts: list) -> list:
    found = []
    for part in parts:
        found.extend(stream.feed(part))
    found.extend(stream.finish())
    return found


def split(data, cuts: List[int]) -> list:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=200, deadline=None)
@given(pieces, st.data())
def test_bytes_stream_split_invariance(parts: List[str], data) -> None:
    text = "".join(parts).encode("utf-8")
    cuts = data.draw(cuts_of(len(text)))
    expected = ENGINE.scan(text)
    assert feed_all(ENGINE.stream(), split(text, cuts)) == expected


@settings(max_examples=200, deadline=None)
@given(pieces, st.data())
def test_str_stream_split_invariance(parts: List[str], data) -> None:
    text = "".join(parts)
    cuts = data.draw(cuts_of(len(text)))
    expected = ENGINE.scan(text)
    assert feed_all(ENGINE.stream(), split(text, cuts)) == expected


def test_str_stream_offsets_are_characters() -> None:
    stream = ENGINE.stream()
    head = "é" * 9000 + " SSN 536-22-"
    found = list(stream.feed(head))
    found += stream.feed("8451 😀 fin")
    found += stream.finish()
    (m,) = found
    assert m.start == 9005
    assert m.value == "536-22-8451"
    assert stream.offset == len(head) + len("8451 😀 fin")


def test_value_cut_across_fragments_reported_once() -> None:
    stream = ENGINE.stream()
    first = stream.feed(b"id 2 55 08 14 1")
    second = stream.feed(b"68 025 38 end")
    last = stream.finish()
    assert first == []
    assert len(second) + len(last) == 1
    (m,) = [*second, *last]
    assert (m.start, m.end) == (3, 24)


def test_feed_after_finish_raises() -> None:
    stream = ENGINE.stream()
    stream.feed(b"abc")
    stream.finish()
    assert stream.finished
    with pytest.raises(ValueError, match="finished"):
        stream.feed(b"more")


def test_finish_twice_raises() -> None:
    stream = ENGINE.stream()
    stream.finish()
    with pytest.raises(ValueError, match="finished"):
        stream.finish()


def test_reset_reopens_stream() -> None:
    stream = ENGINE.stream()
    stream.feed("SSN 536-22-8451")
    stream.finish()
    stream.reset()
    assert not stream.finished
    assert stream.offset == 0
    found = [*stream.feed(b"SSN 536-22-8451"), *stream.finish()]
    assert [m.start for m in found] == [4]


def test_mixed_str_and_bytes_raises() -> None:
    stream = ENGINE.stream()
    stream.feed("text")
    with pytest.raises(TypeError, match="str"):
        stream.feed(b"bytes")


def test_feed_wrong_type_raises() -> None:
    stream = ENGINE.stream()
    with pytest.raises(TypeError, match="int"):
        stream.feed(12345)  # type: ignore[arg-type]


def test_stream_repr() -> None:
    stream = ENGINE.stream()
    stream.feed(b"abcd")
    assert repr(stream) == "Stream(offset=4, finished=False)"
