"""The records of one CloudTrail log file, one at a time, in bounded memory.

A log file is one JSON object, `{"Records": [...]}`, up to MAX_LOG_BYTES once gunzipped. Parsed
whole, a file at that cap made of small records grew the Lambda past its 1,024 MB (the text, its
str and millions of small dicts at once: 1,435 MiB peak). Here the gunzipped bytes are decoded
chunk by chunk (strict UTF-8, incrementally) and the `Records` array is walked element by
element with the standard library's decoder (`raw_decode` at an offset), so that what is held
at any moment is one chunk and one record, whatever the file's size. Any other top-level key is
decoded and dropped; a value larger than `max_value` characters is refused, not buffered.

The grammar is JSON's, checked as strictly as `json.loads` checks a whole document: anything
after the object, a missing comma, a duplicate `Records`, bad UTF-8 or nesting deeper than the
parser can follow is an error naming the file (`StreamError`), never a RecursionError.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
_NUMBER_GOES_ON = re.compile(r"(?:\.|[eE][-+]?)")
"""What a number cut at a chunk's end may leave unread (`0.`, `1e`, `1e-`): read the next chunk."""


class StreamError(Exception):
    """The bytes are not a CloudTrail log file: the message says why (for the caller's report)."""


class RecordStream:
    """Iterate the elements of the top-level object's `Records` array of a JSON byte stream.

    `chunks`: the gunzipped bytes, in pieces of any size; `max_value`: the largest single
    record (or other top-level value) held, in characters. After iteration, `records_found`
    tells whether a `Records` list was there at all.
    """

    def __init__(self, chunks: Iterator[bytes], where: str, max_value: int) -> None:
        self._chunks = chunks
        self._where = where
        self._max = max_value
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._bytes = 0
        self.records_found = False

    # -- the buffer ------------------------------------------------------------------
    def _fill(self) -> bool:
        """Append the next chunk; False at the end of the stream."""
        if self._eof:
            return False
        if self._pos > (1 << 20):  # drop what was consumed: the buffer stays about one chunk
            self._buf, self._pos = self._buf[self._pos:], 0
        try:
            chunk = next(self._chunks, None)
            text = self._utf8.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as exc:
            raise StreamError(f"{self._where}: not UTF-8 text ({exc.reason} at byte "
                              f"{self._bytes + exc.start})") from None
        if chunk is None:
            self._eof = True
        else:
            self._bytes += len(chunk)
        self._buf += text
        return chunk is not None

    def _peek(self) -> str:
        """The next character that is not whitespace ('' at the end), without consuming it."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if not self._fill():
                return ""

    def _expect(self, char: str, what: str) -> None:
        if self._peek() != char:
            found = self._peek() or "the end of the file"
            raise StreamError(f"{self._where}: not valid JSON: expected {what}, found {found!r}")
        self._pos += 1

    def _value(self) -> Any:
        """Decode one JSON value at the current position, reading on until it is complete."""
        self._peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except RecursionError:
                raise StreamError(f"{self._where}: JSON nested too deeply to read (no event or CloudTrail "
                                  "file nests like this)") from None
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > self._max:
                    raise StreamError(f"{self._where}: a value of more than {self._max:,} characters "
                                      "(no CloudTrail record is that large)") from None
                if self._fill():
                    continue
                raise StreamError(f"{self._where}: not valid JSON: {exc.msg} (character "
                                  f"{exc.pos - self._pos} of a value)") from None
            if _NUMBER_GOES_ON.fullmatch(self._buf, end) and self._fill():
                continue  # "0" then ".5" in the next chunk: raw_decode stopped before the '.'
            if end < len(self._buf) or not self._fill():  # a number may go on in the next chunk
                if end - self._pos > self._max:
                    raise StreamError(f"{self._where}: a value of more than {self._max:,} characters "
                                      "(no CloudTrail record is that large)")
                self._pos = end
                return value

    # -- the document ------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        if self._peek() != "{":
            self._whole_value_then_end()
            raise StreamError(f"{self._where}: not a CloudTrail log file (no \"Records\" list)")
        self._pos += 1
        first = True
        while True:
            if self._peek() == "}" and first:
                self._pos += 1
                break
            if not first:
                if self._peek() == "}":
                    self._pos += 1
                    break
                self._expect(",", "',' or '}'")
            first = False
            if self._peek() != '"':
                self._expect('"', "a key")
            key = self._value()
            self._expect(":", "':'")
            if key == "Records" and self._peek() == "[":
                if self.records_found:
                    raise StreamError(f"{self._where}: not a CloudTrail log file (\"Records\" twice)")
                self.records_found = True
                yield from self._array()
            else:
                self._value()  # another key of the object: read and dropped
        if self._peek() != "":
            raise StreamError(f"{self._where}: not valid JSON: extra data after the object")
        if not self.records_found:
            raise StreamError(f"{self._where}: not a CloudTrail log file (no \"Records\" list)")

    def _array(self) -> Iterator[Any]:
        self._pos += 1  # '['
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            yield self._value()
            nxt = self._peek()
            if nxt == "]":
                self._pos += 1
                return
            self._expect(",", "',' or ']'")

    def _whole_value_then_end(self) -> None:
        """A document that is no object: still JSON (else 'not valid JSON'), and nothing after it."""
        if self._peek() == "":
            raise StreamError(f"{self._where}: not valid JSON: the file is empty")
        self._value()
        if self._peek() != "":
            raise StreamError(f"{self._where}: not valid JSON: extra data after the value")
