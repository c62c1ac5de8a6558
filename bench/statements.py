#!/usr/bin/env python3
"""The SQL statements PostgreSQL's statement log shows, with their parameters written in.

Reads an excerpt of the log (log_statement = 'all', Debian's default log_line_prefix) on stdin and
prints one statement per line, each ending in `;`: a script `pgbench -f` replays, so the database's
own limit for the work one request does can be set beside the service's figure.

    sed -n 120,140p postgresql-15-main.log | bench/statements.py > request.sql
"""

import re
import sys

ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[\d+\] \S* ?(LOG|DETAIL|ERROR|STATEMENT|HINT|WARNING):  (.*)$")
STATEMENT = re.compile(r"^(?:statement|execute [^:]+): (.*)$", re.S)
PARAMETER = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def entries(lines):
    """Log entries as (level, text), continuation lines joined to the entry they belong to."""
    current = None
    for line in lines:
        match = ENTRY.match(line.rstrip("\n"))
        if match:
            if current:
                yield current
            current = [match.group(1), match.group(2)]
        elif current:
            current[1] += "\n" + line.rstrip("\n")
    if current:
        yield current


def statements(lines):
    pending = None
    for level, text in entries(lines):
        if level == "LOG":
            if pending:
                yield pending
            match = STATEMENT.match(text)
            pending = match.group(1) if match else None
        elif level == "DETAIL" and pending and text.startswith("parameters: "):
            values = dict(PARAMETER.findall(text))
            # Highest numbers first, so that $1 does not eat the start of $10.
            for number in sorted(values, key=int, reverse=True):
                pending = pending.replace(f"${number}", values[number])
    if pending:
        yield pending


def main():
    for statement in statements(sys.stdin):
        print(" ".join(statement.split()) + ";")


if __name__ == "__main__":
    main()
