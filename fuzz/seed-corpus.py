#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Seeds come from the labelled cases (tests/cases/cases.jsonl), the built-in
sensor definitions (sensors/*.toml), the sample capture
(samples/exfil-http.pcap) and a few hand-written inputs. Each seed follows
the input layout that its target's header comment describes. The inputs of
fuzz/corpus-archive/<target>.tar.gz, the minimized corpora of earlier long
runs (see archive-corpus.sh), are added too. Existing corpus files are
kept, so the script can run before every fuzzing session.
"""

import hashlib
import json
import pathlib
import struct
import tarfile

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
CORPUS = FUZZ / "corpus"
ARCHIVES = FUZZ / "corpus-archive"

HTTP_SEEDS = [
    b"POST /submit?tck=12345678 HTTP/1.1\r\nX-Tck: 4321\r\nContent-Length: 40\r\n\r\n"
    b"ticket TCK-987654 key=kdeadbeef 4111111111111111",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"a\r\nTCK-000000\r\n0\r\n\r\n",
    b"GET /?card=5555555555554444 HTTP/1.1\r\nHost: a\r\n\r\n",
    b"0" * 300,
    b"1 84 07 69 123 045 48 " * 4,
    # A value of the long custom pattern, longer than a stream's first
    # take of a fragment, in a message larger than a small fragment.
    b"POST /t HTTP/1.1\r\n\r\nid eyJ" + b"q" * 200 + b"." + b"r" * 100
    + b" ghp_ab1 and ab.corp.ex" + b" " * 40,
]


def write(target, data):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    (directory / name).write_bytes(data)


def case_inputs():
    inputs, values = [], []
    with open(ROOT / "tests" / "cases" / "cases.jsonl", encoding="utf-8") as cases:
        for line in cases:
            if not line.strip():
                continue
            case = json.loads(line)
            inputs.append(case["input"].encode("utf-8"))
            values.extend(e["value"].encode("utf-8") for e in case.get("expect", []) if "value" in e)
    return inputs, values


def stream_seeds(haystacks):
    for haystack in haystacks:
        for engine in range(3):
            # Flags (engine choice), no cuts.
            write("stream_equals_block", bytes([engine, 0]) + haystack)
            # Two cuts, at a third and at two thirds of the haystack.
            cuts = struct.pack("<HH", len(haystack) // 3, 2 * len(haystack) // 3)
            write("stream_equals_block", bytes([engine | 0b1000, 2]) + cuts + haystack)
        write("stream_equals_block", bytes([0b110, 0]) + haystack)


def capture_seeds():
    sample = (ROOT / "samples" / "exfil-http.pcap").read_bytes()
    write("captures", sample)
    # Mode 0: the sample cut at half its length, then with one patched byte.
    write("captures", bytes([0, 128]))
    write("captures", bytes([0, 0]) + struct.pack("<HB", 40, 0xFF))
    # Mode 1: the reassembler with a SYN, an out-of-order segment and the
    # segment that fills the gap.
    segments = b""
    segments += bytes([1]) + struct.pack("<IB", 999, 0)
    segments += bytes([0]) + struct.pack("<IB", 1005, 5) + b"world"
    segments += bytes([0]) + struct.pack("<IB", 1000, 5) + b"hello"
    segments += bytes([2]) + struct.pack("<IB", 2000, 3) + b"end"
    write("captures", bytes([1]) + segments)


def c_abi_seeds(haystacks):
    # Op bytes follow fuzz_targets/c_abi.rs: 2 takes the shared built-in
    # engine (slot < 128) or custom engine (slot >= 128), 0 takes a fixed
    # definition (slot 1: the small one), 15 builds the small one anew,
    # 6 opens a stream, 7 feeds, 8 finishes, 5 scans, 4 describes,
    # 12 passes NULL arguments.
    for haystack in haystacks[:8]:
        chunk = haystack[:255]
        half = len(chunk) // 2
        program = bytes([2, 0, 6, 0, 1])
        program += bytes([7, 0, 0, half]) + chunk[:half]
        program += bytes([7, 0, 0x08, len(chunk) - half]) + chunk[half:]
        program += bytes([10, 0, 8, 0, 5, 0, 1, len(chunk)]) + chunk
        program += bytes([4, 0, 1, 2, 12, 0, 13, 0, 1, 0, 0, 0, 14, 0])
        write("c_abi", program)
    # The shared custom engine in slot 1, a stream on it, an HTTP request.
    request = HTTP_SEEDS[0][:200]
    program = bytes([2, 0x81, 6, 1, 0, 7, 0, 0, len(request)]) + request
    program += bytes([8, 0, 11, 0, 0, 1, 3, 1])
    write("c_abi", program)
    # A new engine in slot 0 and a stream on it; the engine is freed
    # before the stream is fed and finished.
    chunk = haystacks[0][:255]
    program = bytes([15, 0, 6, 0, 1, 3, 0, 7, 0, 0, len(chunk)]) + chunk
    program += bytes([8, 0, 11, 0])
    write("c_abi", program)


def archived_inputs():
    """Add the inputs of each archived corpus to its target's corpus.

    Only the contents of regular files are read; each is written under
    the hash of its bytes, so no path from an archive is used.
    """
    for archive in sorted(ARCHIVES.glob("*.tar.gz")):
        target = archive.name.removesuffix(".tar.gz")
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                data = tar.extractfile(member).read()
                write(target, data)


def main():
    inputs, values = case_inputs()
    haystacks = inputs + HTTP_SEEDS
    stream_seeds(haystacks)
    for value in values + inputs:
        write("validators", value)
    for path in sorted((ROOT / "sensors").glob("*.toml")):
        write("sensor_definitions", path.read_bytes())
    capture_seeds()
    c_abi_seeds(haystacks)
    archived_inputs()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        count = sum(1 for _ in (CORPUS / target).iterdir())
        print(f"seed: {target}: {count} files in {CORPUS / target}")


if __name__ == "__main__":
    main()
