#!/usr/bin/env python3
"""Measure dlp's precision on generated NIR, SSN and card-shaped values.

Generates random digit strings in every shape the built-in `fr_nir`,
`us_ssn` and `credit_card` sensors read, about half with correct check
digits. Reference rules written here from the published specifications,
independently of dlp's validators, decide which ones are valid. The
script counts dlp's false positives and misses per sensor and shape.

Usage: scripts/precision.py [--count N] [--seed S]
Needs the dlp Python package (scripts/test-py.sh builds and installs it).
Exits 1 if dlp reports an invalid value or misses a valid one. A value
valid for two sensors is reported once, by the sensor defined first; the
table counts those apart. "Other matches" are other spans in the record,
such as the 13 leading digits of a NIR that form a valid Visa number.
"""
import argparse
import collections
import random
import sys

import dlp

GROUPINGS = {14: (4, 6, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3)}
MAESTRO = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763")


def nir_key(body):
    number = int(body.upper().replace("2A", "19").replace("2B", "18"))
    return 97 - number % 97


def nir_valid(digits):
    """Check the NIR rules (sex, month, department, key) on 15 characters."""
    body, key = digits[:13], digits[13:]
    if body[0] not in "123478":
        return False
    month = int(body[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return False
    department = body[5:7].upper()
    year = int(body[1:3])
    if department in ("2A", "2B"):
        pass
    elif not department.isdigit():
        return False
    elif department in ("97", "98"):
        overseas = body[5:8]
        if overseas not in ("971", "972", "973", "974", "975", "976", "978",
                            "984", "985", "986", "987", "988", "989"):
            return False
    else:
        number = int(department)
        if number == 0 or number == 20 and year >= 76:
            return False
    if not body[7:].isdigit() or not key.isdigit():
        return False
    return int(key) == nir_key(body)


def ssn_valid(digits):
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    if area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0:
        return False
    return digits not in ("078051120", "219099999")


def luhn_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def card_brand_ok(digits):
    n = len(digits)
    p2, p3, p4, p6 = (int(digits[:k]) for k in (2, 3, 4, 6))
    if digits[0] == "4" and n in (13, 16, 19):
        return True
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return True
    if p2 in (34, 37) and n == 15:
        return True
    if (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65
            or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return True
    if (300 <= p3 <= 305 or p2 in (36, 38, 39)) and 14 <= n <= 16:
        return True
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return True
    if p2 in (62, 81) and 16 <= n <= 19:
        return True
    return digits[:4] in MAESTRO and 12 <= n <= 19


def group(digits, sizes, separator):
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at:at + size])
        at += size
    return separator.join(parts)


def random_digits(rng, count):
    return "".join(rng.choice("0123456789") for _ in range(count))


def make_nir(rng):
    sex = rng.choice("1234578")
    month = rng.choice(["%02d" % rng.randrange(100), "%02d" % rng.randrange(1, 13)])
    department = rng.choice(["%02d" % rng.randrange(100), "2A", "2B", "2b",
                             "2C", "97", "98"])
    body = sex + random_digits(rng, 2) + month + department + random_digits(rng, 6)
    if rng.random() < 0.5 and "C" not in body:
        key = "%02d" % nir_key(body)
    else:
        key = "%02d" % rng.randrange(100)
    digits = body + key
    shape = rng.choice(["compact", "spaced", "dotted", "key_apart"])
    if shape == "compact":
        text = digits
    elif shape == "key_apart":
        text = body + " " + key
    else:
        separator = " " if shape == "spaced" else "."
        text = group(digits, (1, 2, 2, 2, 3, 3, 2), separator)
    return "fr_nir", shape, text, nir_valid(digits)


def make_ssn(rng):
    digits = random_digits(rng, 9)
    if rng.random() < 0.3:
        digits = rng.choice(["666", "000", "9%02d" % rng.randrange(100)]) + digits[3:]
    shape = rng.choice(["dashed", "spaced", "bare_hotword"])
    if shape == "bare_hotword":
        return "us_ssn", shape, "SSN " + digits, ssn_valid(digits)
    separator = "-" if shape == "dashed" else " "
    return "us_ssn", shape, group(digits, (3, 2, 4), separator), ssn_valid(digits)


def make_card(rng):
    prefix = rng.choice(["4", "51", "55", "2221", "2720", "34", "37", "6011",
                         "645", "65", "622126", "622925", "300", "36", "38",
                         "3528", "3589", "62", "81", "6304", "5018", "1",
                         "7", "99"])
    length = rng.randrange(12, 20)
    digits = prefix + random_digits(rng, length - len(prefix) - 1)
    check = 0
    while not luhn_valid(digits + str(check)):
        check += 1
    if rng.random() < 0.5:
        check = (check + rng.randrange(1, 10)) % 10
    digits += str(check)
    sizes = GROUPINGS.get(length)
    shape = rng.choice(["compact", "grouped"]) if sizes else "compact"
    if shape == "grouped":
        text = group(digits, sizes, rng.choice(" -."))
    else:
        text = digits
    valid = luhn_valid(digits) and card_brand_ok(digits)
    return "credit_card", "%s_%d" % (shape, length), text, valid


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    makers = (make_nir, make_ssn, make_card)
    values = [makers[i % 3](rng) for i in range(args.count)]
    records = ["x %s y" % text for _, _, text, _ in values]
    found = dlp.Engine().scan_batch(records)

    counts = collections.defaultdict(collections.Counter)
    examples = []
    for (sensor, shape, text, valid), matches in zip(values, found):
        start = 2 if not text.startswith("SSN ") else 6
        value = text if start == 2 else text[4:]
        span = [m for m in matches
                if m.start == start and m.end == start + len(value)]
        hit = any(m.sensor == sensor for m in span)
        other = [m for m in matches if not (m.sensor == sensor and m.start == start)]
        key = (sensor, shape)
        counts[key]["values"] += 1
        counts[key]["valid"] += valid
        if hit and not valid:
            counts[key]["false_positive"] += 1
            examples.append(("false positive", sensor, text))
        elif valid and not hit and span:
            # A value valid for two sensors (a 15-digit NIR that is also
            # a card number) is reported once, by the sensor defined first.
            counts[key]["tie"] += 1
        elif valid and not hit:
            counts[key]["missed"] += 1
            examples.append(("missed", sensor, text))
        if other:
            counts[key]["other_sensor"] += 1
            examples.append(("other match", sensor, text + " -> " + ",".join(
                "%s:%s" % (m.sensor, m.value) for m in other)))

    print("| sensor | shape | values | valid | false positives | misses "
          "| valid, reported by another sensor | other matches |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (sensor, shape), c in sorted(counts.items()):
        print("| %s | %s | %d | %d | %d | %d | %d | %d |" % (
            sensor, shape, c["values"], c["valid"], c["false_positive"],
            c["missed"], c["tie"], c["other_sensor"]))
    for kind, sensor, text in examples[:20]:
        print("%s %s: %r" % (kind, sensor, text), file=sys.stderr)
    wrong = sum(c["false_positive"] + c["missed"] for c in counts.values())
    print("precision: %d values, %d disagreements" % (len(values), wrong))
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
