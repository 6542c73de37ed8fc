"""The native core of dlp (``dlp._dlp``), re-exported by ``dlp``.

Offsets are byte offsets for bytes-like input (``bytes``, ``bytearray``,
``memoryview`` and any other object with the buffer protocol) and
character offsets for ``str`` input, so ``text[m.start:m.end] == m.value``
holds for both.

Calls that scan at least :data:`GIL_RELEASE_BYTES` bytes release the GIL
while they scan, so threads sharing one :class:`Engine` run in parallel:
:meth:`Engine.scan`, :meth:`Engine.redact`, :meth:`Engine.scan_batch` (per
group of records), :meth:`Stream.feed` and :meth:`Stream.finish`.
:meth:`Engine.scan_file` always releases it while it reads and scans.
"""

from os import PathLike
from typing import (
    Callable,
    Iterable,
    List,
    Optional,
    Tuple,
    Union,
    final,
    overload,
)

from typing_extensions import Buffer, Literal, TypeAlias

from ._matches import Matches

__all__ = [
    "GIL_RELEASE_BYTES",
    "MAX_MATCH_LEN",
    "Engine",
    "Match",
    "Rule",
    "Sensor",
    "Stream",
]

_ScanInput: TypeAlias = Union[str, Buffer]
"""A ``str``, scanned as UTF-8 with character offsets, or a bytes-like
object, scanned as is with byte offsets."""

_Context: TypeAlias = Literal["packet", "url", "header", "body"]
_Severity: TypeAlias = Literal["low", "medium", "high", "critical"]
_Confidence: TypeAlias = Literal["low", "medium", "high"]

GIL_RELEASE_BYTES: int
"""Input of at least this many bytes (4096) is scanned without the GIL."""

MAX_MATCH_LEN: int
"""The longest match a sensor pattern may allow, in bytes (1024)."""

@final
class Match:
    """A value found by a sensor's rule.

    Matches compare equal when every attribute is equal, hash
    consistently, and pickle. The ``repr`` shows the masked value only,
    never the raw value.
    """

    def __new__(
        cls,
        sensor: str,
        rule: str,
        start: int,
        end: int,
        context: str,
        severity: str,
        confidence: str,
        masked: str,
        value: Union[str, bytes],
        flow: Optional[str] = None,
    ) -> "Match":
        """Create a match, for example an expected one in a test.

        :raises ValueError: if ``context``, ``severity`` or
            ``confidence`` is not one of its names, or ``end < start``.
        :raises TypeError: if ``value`` is neither str nor bytes.
        """
    @property
    def sensor(self) -> str:
        """The sensor's name, such as ``"fr_nir"``."""
    @property
    def rule(self) -> str:
        """The name of the rule that matched, inside the sensor."""
    @property
    def start(self) -> int:
        """Offset of the value's first byte or character."""
    @property
    def end(self) -> int:
        """Offset just past the value."""
    @property
    def context(self) -> _Context:
        """Where the value starts: ``"url"``, ``"header"`` or ``"body"``
        of an HTTP/1.x message, or ``"packet"`` for any other data."""
    @property
    def severity(self) -> _Severity:
        """The sensor's severity."""
    @property
    def confidence(self) -> _Confidence:
        """How sure the match is; a hotword before it makes it
        ``"high"``."""
    @property
    def masked(self) -> str:
        """The value with most letters and digits replaced by ``*``, of
        the value's length (in bytes for bytes input, characters for str
        input). Safe to log."""
    @property
    def value(self) -> Union[str, bytes]:
        """The raw value: ``str`` for str input, ``bytes`` otherwise.
        This is personal data."""
    @property
    def flow(self) -> Optional[str]:
        """The TCP flow direction (``"10.0.0.1:5000 -> 10.0.0.2:80"``)
        for matches in a packet capture, else None."""
    def as_dict(self, *, value: bool = False) -> dict[str, object]:
        """Return the attributes as a dict, for tables and JSON.

        The keys are sensor, rule, start, end, context, severity,
        confidence, masked and flow, plus ``value`` when ``value`` is
        true (it is personal data, so it is left out by default).
        """
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Rule:
    """A rule of a sensor, as loaded (read-only)."""

    @property
    def name(self) -> str:
        """The rule's name, unique in its sensor."""
    @property
    def context(self) -> _Context:
        """Where the rule applies; ``"packet"`` means anywhere."""
    @property
    def patterns(self) -> List[Tuple[str, str]]:
        """``(op, regex)`` pairs in definition order, where op is
        ``"regex"`` (must match) or ``"!regex"`` (must not match)."""
    @property
    def validator(self) -> Optional[str]:
        """The check-digit validator run on each candidate, if any."""
    @property
    def hotwords(self) -> List[str]:
        """Keywords looked for just before a candidate."""
    @property
    def hotwords_required(self) -> bool:
        """Whether a candidate without a hotword is dropped."""
    @property
    def hotword_window(self) -> int:
        """How many bytes before a candidate are searched for hotwords."""
    @property
    def confidence(self) -> _Confidence:
        """The confidence of a match without a hotword."""
    @property
    def boundary(self) -> Literal["word", "none"]:
        """``"word"``: a match neither starts nor ends inside a run of
        ASCII letters and digits; ``"none"``: anywhere."""
    @property
    def mask(self) -> Tuple[int, int]:
        """``(keep_first, keep_last)``: how many leading and trailing
        letters and digits the masked form shows."""

@final
class Sensor:
    """A sensor, as loaded (read-only)."""

    @property
    def name(self) -> str:
        """The sensor's name, unique in an engine."""
    @property
    def description(self) -> str:
        """What the sensor finds, for people."""
    @property
    def severity(self) -> _Severity:
        """How serious a finding is."""
    @property
    def rules(self) -> List[Rule]:
        """The rules; a match of any rule is a match of the sensor."""

@final
class Stream:
    """One stream (a file, a socket, one direction of a flow) scanned as
    its fragments arrive.

    Open one with :meth:`Engine.stream`. A value cut across fragments is
    reported once, with offsets from the start of the stream, and the
    matches of all calls together equal :meth:`Engine.scan` of the
    concatenated fragments. A stream is fed either ``str`` (character
    offsets) or bytes-like objects (byte offsets), not both.

    A stream is used by one thread at a time: a call made while another
    thread's call on the same stream runs raises ``RuntimeError``.
    """

    def feed(self, data: _ScanInput) -> Matches:
        """Scan the next fragment and return the matches it completes.

        A match is returned by the call that brings the byte after its
        longest possible extension, or by :meth:`finish`.

        :raises TypeError: if ``data`` is neither str nor bytes-like, or
            is str after bytes-like input (or the reverse).
        :raises ValueError: if the stream is finished.
        :raises UnicodeEncodeError: if ``data`` is a str with a lone
            surrogate.
        """
    def finish(self) -> Matches:
        """End the stream and return the matches that only the end of
        the data confirms.

        :raises ValueError: if the stream is already finished.
        """
    def reset(self) -> None:
        """Clear the stream so it can scan new data from offset 0."""
    @property
    def offset(self) -> int:
        """Bytes fed so far, or characters for a stream fed str."""
    @property
    def finished(self) -> bool:
        """Whether :meth:`finish` was called since the stream was opened
        or reset."""

@final
class Engine:
    """Sensors compiled into one automaton.

    An engine is immutable and safe to share between threads. It pickles
    by rebuilding itself from :meth:`sources`, so it works with
    multiprocessing, joblib and Spark workers.
    """

    def __new__(cls) -> "Engine":
        """Create an engine with the built-in sensors: ``fr_nir``,
        ``us_ssn``, ``credit_card``, ``iban`` and ``email``.

        They are compiled once per process, so this is cheap after the
        first call.
        """
    @classmethod
    def from_file(
        cls, path: Union[str, "PathLike[str]"], *, builtin: bool = False
    ) -> "Engine":
        """Create an engine with the sensors of a TOML definition file,
        after the built-in ones when ``builtin`` is true.

        :raises OSError: if the file cannot be read (for example
            ``FileNotFoundError``).
        :raises SensorError: if the definition is invalid or not UTF-8.
        """
    @classmethod
    def from_str(
        cls, text: str, *, origin: str = "<string>", builtin: bool = False
    ) -> "Engine":
        """Create an engine with the sensors defined in ``text``; error
        messages name it ``origin``.

        :raises SensorError: if the definition is invalid.
        :raises TypeError: if ``text`` is not a str.
        """
    @classmethod
    def from_sources(cls, sources: Iterable[Tuple[str, str]]) -> "Engine":
        """Create an engine from ``(origin, text)`` pairs, as returned by
        :meth:`sources`.

        :raises SensorError: if a definition is invalid or ``sources`` is
            empty.
        """
    def sources(self) -> List[Tuple[str, str]]:
        """Return the ``(origin, text)`` definition pairs the engine was
        built from; built-in ones have origins starting ``<builtin>``."""
    @property
    def sensors(self) -> List[Sensor]:
        """The sensors, in the order they were added."""
    @property
    def max_match_len(self) -> int:
        """The longest match any pattern allows, in bytes."""
    def scan(self, data: _ScanInput) -> Matches:
        """Scan ``data`` whole and return its matches in order of start.

        ``bytes`` and (in a CPython 3.11+ build) other buffers are read
        in place; the default CPython 3.9+ build copies ``bytearray`` and
        ``memoryview`` input once. Do not resize or write to a buffer
        while it is being scanned.

        :raises TypeError: if ``data`` is neither str nor bytes-like.
        :raises UnicodeEncodeError: if ``data`` is a str with a lone
            surrogate.
        """
    def scan_batch(
        self, records: Iterable[Union[_ScanInput, None, float]]
    ) -> List[Matches]:
        """Scan each record on its own and return one :class:`Matches`
        per record, in input order, so ``result[i]`` contains the findings
        of record ``i``.

        Missing values (None, float NaN, ``pandas.NA``) give an empty
        list, so a dataframe column can be passed as is. Records are
        scanned in groups of about 1 MiB with the GIL released.

        :raises TypeError: if ``records`` is not iterable, or a record is
            neither missing, str nor bytes-like (the message gives its
            index).
        """
    def stream(self) -> Stream:
        """Open a :class:`Stream` that scans with this engine."""
    def scan_file(
        self, path: Union[str, "PathLike[str]"], *, chunk_size: int = 1048576
    ) -> Matches:
        """Scan a file without loading it whole, as ``dlp scan`` does.

        A pcap or pcapng capture is split into TCP flow directions, and
        each is scanned as one stream. Its matches carry their ``flow``,
        and offsets count the payload bytes of that direction. Bytes missing from
        the capture are skipped, so offsets after a gap count only the
        bytes seen. Any other file is read ``chunk_size`` bytes at a time
        through one stream; its matches have ``flow`` None and file byte
        offsets. Values are bytes.

        :raises OSError: if the file cannot be opened or read.
        :raises ValueError: if ``chunk_size`` is 0.
        :warns CaptureWarning: once per damaged capture, listing the
            problems.
        """
    @overload
    def redact(
        self,
        data: str,
        *,
        replacement: Union[None, str, Callable[[Match], str]] = None,
    ) -> str:
        """Return ``data`` with each match replaced: ``str`` for str
        input, ``bytes`` for any bytes-like input.

        By default each match becomes its masked form, so the output has
        the input's length. A ``replacement`` string (or bytes, for
        bytes-like input) replaces every match whole. A callable is
        called with each :class:`Match` and returns its replacement.

        :raises TypeError: if ``data`` or ``replacement`` has a wrong
            type, or the callable returns one.
        """
    @overload
    def redact(
        self,
        data: Buffer,
        *,
        replacement: Union[
            None, str, bytes, Callable[[Match], Union[str, bytes]]
        ] = None,
    ) -> bytes:
        """Return ``data`` with each match replaced: ``str`` for str
        input, ``bytes`` for any bytes-like input.

        By default each match becomes its masked form, so the output has
        the input's length. A ``replacement`` string (or bytes, for
        bytes-like input) replaces every match whole. A callable is
        called with each :class:`Match` and returns its replacement.

        :raises TypeError: if ``data`` or ``replacement`` has a wrong
            type, or the callable returns one.
        """
    def __reduce__(
        self,
    ) -> Tuple[Callable[[List[Tuple[str, str]]], "Engine"], Tuple[List[Tuple[str, str]]]]: ...
