#!/usr/bin/env python3
"""Prints the newest message of the development outbox as text.

Usage: scripts/outbox.py [DATA_DIR] [--to ADDRESS]
"""
import argparse
import email
import email.policy
import pathlib
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("data_dir", nargs="?", default="data")
parser.add_argument("--to", help="only messages to this address")
args = parser.parse_args()
outbox = pathlib.Path(args.data_dir) / "outbox"
messages = []
for file in outbox.glob("*.eml"):
    message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
    if args.to is None or message["To"] == args.to:
        messages.append((file.stat().st_mtime, message))
if not messages:
    sys.exit(f"no messages in {outbox}")
_, newest = max(messages, key=lambda pair: pair[0])
print(f"To: {newest['To']}\nSubject: {newest['Subject']}\n")
print(newest.get_body(("plain",)).get_content())
