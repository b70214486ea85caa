#!/usr/bin/env python3
"""Writes the character list the bundled CJK font is subset to.

Usage: subset.py REPO_DIR > chars.txt

The set: printable ASCII and Latin-1, CJK punctuation and full-width forms,
every hanzi of GB2312 (levels 1 and 2, 6763 characters), Big5 level 1
(5401 common traditional characters), and every character found in the
repository's Go, TOML, JSON and text files (UI strings, script packs, seeds).
"""
import os
import sys


def gb2312():
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                yield bytes([hi, lo]).decode("gb2312")
            except UnicodeDecodeError:
                pass


def big5_level1():
    for hi in range(0xA1, 0xC7):
        for lo in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            try:
                yield bytes([hi, lo]).decode("big5")
            except UnicodeDecodeError:
                pass


def repo_chars(root):
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in files:
            if f.endswith((".go", ".toml", ".json", ".txt", ".md", ".yaml", ".csv")):
                try:
                    with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                        yield from fh.read()
                except (UnicodeDecodeError, OSError):
                    pass


def main():
    chars = set(chr(c) for c in range(0x20, 0x7F))
    chars |= set(chr(c) for c in range(0xA0, 0x180))
    chars |= set(chr(c) for c in range(0x2000, 0x206F))  # general punctuation
    chars |= set(chr(c) for c in range(0x2100, 0x2200))  # letterlike, arrows
    chars |= set(chr(c) for c in range(0x2460, 0x2500))  # enclosed numerals
    chars |= set(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
    chars |= set(chr(c) for c in range(0xFF00, 0xFFF0))  # full-width forms
    chars |= set(gb2312())
    chars |= set(big5_level1())
    for root in sys.argv[1:]:
        chars |= set(c for c in repo_chars(root) if ord(c) >= 0x20)
    sys.stdout.write("".join(sorted(chars)))


if __name__ == "__main__":
    main()
