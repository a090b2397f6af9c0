#!/usr/bin/python3
"""Runs every ```sql block of README.md, in order, and checks the values its comments state.

The blocks run on one connection (autocommit), statement by statement, in README order, so a block may use
what earlier blocks made (the demo schemas, models, dashboards).  One TAP check per block: it passes when every
statement runs without error and every stated value matches.  libpq environment (PGHOST, PGPORT, PGUSER,
PGDATABASE: a fresh database with CREATE EXTENSION supplymkt done).  Optional argument: another README file.

Which comments state values
  - A trailing comment, after SQL code on the same line, states the result of the statement that line belongs
    to (the statement that ends with the `;` before it on that line, or else the one the code is part of):
        SELECT supplymkt.stockout_rate(on_hand) FROM ...;   -- 0.5
    Several trailing comments of one statement are joined with ", " (one per select-list line):
        SELECT kmeans_assign(...) AS cluster,     -- 1
               kmeans_distance(...) AS distance   -- 1
    Every trailing comment is checked: put prose on a comment line of its own, before the statement.
  - The comment lines that directly follow the block's last statement (up to the fence or a blank line) are
    joined with " " and state the last statement's result:
        SELECT product, revenue, supplymkt.abc_class(revenue) OVER () FROM ...;
        -- p1 A; p2 A; p3 B; p4 B; p5 B
  - Elsewhere, a comment line of its own states the result of the statement just before it only when it
    starts with `result:` (-- result: 1 | 419 | 1.070); it continues on the next comment line while it ends
    with `,` or `;`.  Every other comment line is prose and is not checked, so a comment that introduces the
    next statement never is.  Commented-out SQL (-- SELECT ...) is never run; a block with nothing but
    comments is reported as skipped.
  - A statement with stated values must return rows (SELECT, EXPLAIN, ... RETURNING).

The syntax of stated values
  - Remarks in parentheses are ignored:  -- 1 (tie between 1 and 3: lower number)
  - `;` separates rows, `,` the values (items) of a row.  Stated row i is compared with result row i; the
    comment states all the rows unless it ends with `...` (then it states the first ones only).
  - An item is one or more whitespace-separated values.  The values of a row match the row's columns in order;
    columns may be left out (p1 A matches the row p1 | 50.0 | A).  A cell whose text has several words is
    written as those words (materialized view 9); words are compared after collapsing white space.
  - `|`, `->` and a trailing `:` are separators, not values (1 | 99 | toys, 10 -> 20: 1, Workers Planned: 4),
    on both sides: a cell such as "  ->  Gather" is compared as the words "Gather".
  - A word equal to a column name of the result, followed by a value, is a label: the value must be in that
    column (cluster 1: size 3, centroid_original {2}); labelled values too must follow the column order.
  - An explanation `expr = value` states just the value: in an item everything from its start (or from its
    last label or `:`) up to the last `=` is dropped (30 / 200 = 0.15; confidence 0.4 / 0.6 = 0.667).
  - A number is compared to the digits written: 0.15 matches a result within half a unit of the last written
    digit (0.145 .. 0.155; 0.1500 and 0.15000001 do, 0.16 does not); 100 matches 99.5 .. 100.5.
  - NULL matches SQL NULL (and only NULL).  true / false match t / f.
  - {...} is an array and [...] JSON (so is {"k": ...}); they are compared element by element with the rules
    above ([3, 2]; {423,371}; {-0.805} matches {-0.8049733304776434}).  "double quoted" text must equal the cell
    exactly (for a value with a comma, a parenthesis or leading `|`).

Results are compared in their text form, as psql shows them (floats shortest-exact).  Each statement may take
30 s, the whole run 100 s (about 20 s on the 2-core machine): what is left after that fails.

A block is skipped (`ok N - ... # SKIP reason`) when the last non-blank line before its fence is
    <!-- readme-test: skip (reason) -->
for a block that cannot run in a test database (pg_cron in another database, ...): keep that rare.
"""
import decimal
import json
import os
import re
import sys
import time

import psycopg2
import psycopg2.extensions

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")
STATEMENT_TIMEOUT_S = 30   # no README example takes more than a few seconds
BUDGET_S = 100             # the whole run (about 20 s on the 2-core machine)
SKIP_RE = re.compile(r"^<!--\s*readme-test:\s*skip\s*\((.+)\)\s*-->\s*$")
DIRECTIVE_RE = re.compile(r"^<!--\s*readme-test\b")
RESULT_PREFIX = "result:"
NUMBER_RE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
SEPARATORS = {"|", "->", "→", ":"}

# ---------------------------------------------------------------------------------------------------------
# README: the sql blocks
# ---------------------------------------------------------------------------------------------------------


class Block:
    def __init__(self, fence_line, lines, heading, skip, directive_error):
        self.fence_line = fence_line          # 1-based line number of the ```sql fence
        self.lines = lines                    # the block's lines
        self.heading = heading                # the nearest heading above it
        self.skip = skip                      # reason, or None
        self.directive_error = directive_error

    def line_no(self, i):
        """README line number of the block's line i (0-based)."""
        return self.fence_line + 1 + i


def read_blocks(path):
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    blocks, heading, i = [], "", 0
    while i < len(text):
        line = text[i]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        fence = line.strip()
        if fence.startswith("```"):
            lang = fence[3:].strip()
            j = i + 1
            while j < len(text) and text[j].strip() != "```":
                j += 1
            if lang == "sql":
                prev = i - 1
                while prev >= 0 and not text[prev].strip():
                    prev -= 1
                skip = directive_error = None
                if prev >= 0 and DIRECTIVE_RE.match(text[prev].strip()):
                    m = SKIP_RE.match(text[prev].strip())
                    if m:
                        skip = m.group(1).strip()
                    else:
                        directive_error = f"line {prev + 1}: unknown readme-test directive {text[prev].strip()!r}"
                blocks.append(Block(i + 1, text[i + 1:j], heading, skip, directive_error))
            i = j + 1
            continue
        i += 1
    return blocks


# ---------------------------------------------------------------------------------------------------------
# SQL: statements and their comments
# ---------------------------------------------------------------------------------------------------------


class Statement:
    def __init__(self):
        self.text = ""
        self.first_line = None   # 0-based block line of its first code character
        self.last_line = None
        self.stated = []         # (block line, comment text) in order

    def has_code(self):
        return self.text.strip() != ""


def split_sql(lines):
    """Statements of a block (split at top-level `;`, respecting quotes, dollar quotes and comments) and the
    line comments, each as (line, text, trailing, statement index the comment belongs to or None)."""
    src = "\n".join(lines)
    statements, comments = [], []
    cur = Statement()
    line = 0
    line_has_code = False
    last_done = None          # index of the last completed statement
    ended_on_line = None      # line on which last_done ended
    i, n = 0, len(src)

    def add(chunk, at_line):
        if chunk.strip() and cur.first_line is None:
            cur.first_line = at_line
        cur.text += chunk

    while i < n:
        c = src[i]
        if c == "\n":
            add(c, line)
            line += 1
            line_has_code = False
            i += 1
        elif src.startswith("--", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            text = src[i + 2:j].strip()
            if line_has_code:
                owner = len(statements) if cur.has_code() else last_done
                if not cur.has_code() and ended_on_line != line:
                    owner = None
                comments.append((line, text, True, owner))
            else:
                owner = last_done if not cur.has_code() else None
                comments.append((line, text, False, owner))
            i = j
        elif src.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif src.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            chunk = src[i:j]
            add(" " if not chunk.count("\n") else "\n" * chunk.count("\n"), line)
            line += chunk.count("\n")
            i = j
        elif c == ";":
            line_has_code = True
            if cur.has_code():
                cur.last_line = line
                statements.append(cur)
                last_done, ended_on_line = len(statements) - 1, line
            cur = Statement()
            i += 1
        else:
            j = i
            if c in ("'", '"'):
                escapes = c == "'" and i > 0 and src[i - 1] in "eE" and (i < 2 or not (src[i - 2].isalnum() or src[i - 2] == "_"))
                j = i + 1
                while j < n:
                    if escapes and src[j] == "\\":
                        j += 2
                        continue
                    if src[j] == c:
                        if j + 1 < n and src[j + 1] == c:
                            j += 2
                            continue
                        break
                    j += 1
                j += 1
            elif c == "$" and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
                m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", src[i:])
                if m:
                    tag = m.group(0)
                    end = src.find(tag, i + len(tag))
                    j = n if end < 0 else end + len(tag)
                else:
                    j = i + 1
            else:
                j = i + 1
            chunk = src[i:j]
            if not c.isspace():
                line_has_code = True
            add(chunk, line)
            line += chunk.count("\n")
            i = j
    if cur.has_code():
        cur.last_line = line
        statements.append(cur)
    return statements, comments


def attach_stated(statements, comments, problems, block):
    """Puts each stated comment on its statement: trailing comments, the comment lines that directly follow the
    block's last statement, and `result:` lines (with their continuation lines); other comments are prose."""
    by_line = {c[0]: c for c in comments if not c[2]}   # comment lines of their own
    used, final = set(), None
    if statements:
        parts, nxt = [], statements[-1].last_line + 1
        while nxt in by_line:
            parts.append(by_line[nxt][1])
            used.add(nxt)
            nxt += 1
        if parts:
            text = " ".join(parts)
            if text.startswith(RESULT_PREFIX):
                text = text[len(RESULT_PREFIX):].strip()
            final = (statements[-1].last_line + 1, text)
    for line, text, trailing, owner in comments:
        if line in used:
            continue
        if not trailing:
            if not text.startswith(RESULT_PREFIX):
                continue
            text = text[len(RESULT_PREFIX):].strip()
            if owner is None:
                problems.append(f"line {block.line_no(line)}: a `result:` comment inside a statement or before "
                                f"the first one")
                continue
        elif owner is None:
            problems.append(f"line {block.line_no(line)}: cannot tell which statement the comment belongs to")
            continue
        parts, nxt = [text], line + 1
        while parts[-1].rstrip().endswith((",", ";")) and nxt in by_line and nxt not in used:
            parts.append(by_line[nxt][1])
            used.add(nxt)
            nxt += 1
        statements[owner].stated.append((line, " ".join(parts)))
    if final:
        statements[-1].stated.append(final)


# ---------------------------------------------------------------------------------------------------------
# Stated values
# ---------------------------------------------------------------------------------------------------------

_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _scan(text):
    """Yields (char, depth, in_quote) over text; depth counts (), [] and {} outside double quotes."""
    depth, quote = 0, False
    for ch in text:
        if quote:
            yield ch, depth, True
            if ch == '"':
                quote = False
            continue
        if ch == '"':
            yield ch, depth, True
            quote = True
            continue
        if ch in "([{":
            depth += 1
            yield ch, depth, False
            continue
        if ch in ")]}":
            yield ch, depth, False
            depth = max(0, depth - 1)
            continue
        yield ch, depth, False


def remove_remarks(text):
    """Drops top-level ( ... ) groups."""
    out, depth, paren = [], 0, 0
    quote = False
    for ch in text:
        if paren:
            if ch == "(":
                paren += 1
            elif ch == ")":
                paren -= 1
                if not paren:
                    out.append(" ")
            continue
        if quote:
            out.append(ch)
            quote = ch != '"'
            continue
        if ch == '"':
            quote = True
        elif ch == "(" and depth == 0:
            paren = 1
            continue
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        out.append(ch)
    return "".join(out)


def split_top(text, sep):
    parts, cur = [], []
    for ch, depth, quoted in _scan(text):
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def words(text):
    """Whitespace-separated words, keeping [..], {..} and "..." together."""
    out, cur = [], []
    for ch, depth, quoted in _scan(text):
        if ch.isspace() and depth == 0 and not quoted:
            if cur:
                out.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def normal_words(text):
    """Words with the separators (|, ->, :) dropped and a trailing `:` stripped: the form both a stated value
    and a cell are compared in."""
    out = []
    for w in text.split():
        if w in SEPARATORS:
            continue
        if w.endswith(":") and len(w) > 1:
            w = w[:-1]
        out.append(w)
    return out


class StatedRows:
    def __init__(self, text):
        self.text = text
        body = " ".join(remove_remarks(text).split())
        self.open = body.endswith("...")
        if self.open:
            body = body[:-3]
        self.rows = [r.strip() for r in split_top(body, ";")]
        self.rows = [r for r in self.rows if r.strip(" ,")]


class Token:
    def __init__(self, text, item, pin=None):
        self.text, self.item, self.pin = text, item, pin


def row_tokens(row_text, columns):
    """The row's value tokens: (text, item index, pinned column for a labelled value)."""
    tokens = []
    colidx = {c: k for k, c in enumerate(columns)}
    for item_no, item in enumerate(split_top(row_text, ",")):
        raw = words(item)
        # labels and explanation boundaries, before separators are dropped
        marks = []    # (word, is_label, is_boundary)
        for k, w in enumerate(raw):
            bare = w[:-1] if w.endswith(":") and len(w) > 1 else w
            is_label = bare in colidx and k + 1 < len(raw) and raw[k + 1] != "="
            marks.append((w, is_label, w.endswith(":") or w == ":"))
        if "=" in raw:
            eq = len(raw) - 1 - raw[::-1].index("=")
            start = 0
            for k in range(eq - 1, -1, -1):
                if marks[k][1] or marks[k][2]:
                    start = k + 1
                    break
            marks = marks[:start] + marks[eq + 1:]
        pin = None
        for w, is_label, _ in marks:
            bare = w[:-1] if w.endswith(":") and len(w) > 1 else w
            if is_label:
                pin = colidx[bare]
                continue
            if w in SEPARATORS:
                continue
            tokens.append(Token(bare, item_no, pin))
            pin = None
    return tokens


def _num_match(stated, actual):
    """stated: the written number (text); actual: float or text.  Within half a unit of the last written digit."""
    try:
        s = decimal.Decimal(stated)
        a = decimal.Decimal(str(actual).strip()) if not isinstance(actual, float) else decimal.Decimal(repr(actual))
    except (decimal.InvalidOperation, ValueError):
        return False
    if not a.is_finite():
        return False
    tol = decimal.Decimal(5).scaleb(s.as_tuple().exponent - 1)
    return abs(a - s) <= tol


class _Num:
    def __init__(self, text):
        self.text = text


def _json_match(stated, actual):
    if isinstance(stated, _Num):
        return isinstance(actual, (int, float)) and not isinstance(actual, bool) and _num_match(stated.text, actual)
    if isinstance(stated, list):
        return isinstance(actual, list) and len(stated) == len(actual) and all(
            _json_match(s, a) for s, a in zip(stated, actual))
    if isinstance(stated, dict):
        return isinstance(actual, dict) and stated.keys() == actual.keys() and all(
            _json_match(stated[k], actual[k]) for k in stated)
    return type(stated) is type(actual) and stated == actual


def parse_pg_array(text):
    """A PostgreSQL array literal as nested lists of element texts (None for NULL); None if malformed."""
    pos = 0

    def parse():
        nonlocal pos
        if text[pos] != "{":
            raise ValueError
        pos += 1
        out = []
        if text[pos] == "}":
            pos += 1
            return out
        while True:
            if text[pos] == "{":
                out.append(parse())
            elif text[pos] == '"':
                pos += 1
                buf = []
                while text[pos] != '"':
                    if text[pos] == "\\":
                        pos += 1
                    buf.append(text[pos])
                    pos += 1
                pos += 1
                out.append(("q", "".join(buf)))
            else:
                start = pos
                while text[pos] not in ",}":
                    pos += 1
                raw = text[start:pos].strip()
                out.append(None if raw.upper() == "NULL" else ("u", raw))
            if text[pos] == ",":
                pos += 1
                continue
            if text[pos] == "}":
                pos += 1
                return out
            raise ValueError

    try:
        value = parse()
        return value if pos == len(text) else None
    except (ValueError, IndexError):
        return None


def _array_match(stated, actual):
    if isinstance(stated, list):
        return isinstance(actual, list) and len(stated) == len(actual) and all(
            _array_match(s, a) for s, a in zip(stated, actual))
    if stated is None or actual is None:
        return stated is None and actual is None
    if isinstance(actual, list):
        return False
    return scalar_match(actual[1], stated[1])


def scalar_match(cell, tok):
    """Does the cell (text, or None for NULL) match the stated token?"""
    if tok == "NULL":
        return cell is None
    if cell is None:
        return False
    if tok.startswith('"') and tok.endswith('"') and len(tok) >= 2:
        return cell == tok[1:-1]
    if NUMBER_RE.match(tok):
        return _num_match(tok, cell)
    if tok in ("true", "false") and cell in ("t", "f", "true", "false"):
        return tok[0] == cell[0]
    if tok[:1] in "[{" and cell.strip()[:1] in "[{":
        try:
            stated = json.loads(tok, parse_float=_Num, parse_int=_Num)
            actual = json.loads(cell)
            return _json_match(stated, actual)
        except ValueError:
            pass
        s, a = parse_pg_array(tok), parse_pg_array(cell.strip())
        if s is not None and a is not None:
            return _array_match(s, a)
        return tok == cell
    return normal_words(cell) == normal_words(tok)


def cell_match(cell, toks):
    if len(toks) == 1:
        return scalar_match(cell, toks[0])
    return cell is not None and normal_words(cell) == [w for t in toks for w in normal_words(t)]


def match_row(tokens, cells):
    """Number of cells matched when the tokens match the row (in column order, columns may be skipped), else
    None."""
    m = len(cells)

    def rec(ti, cj):
        if ti == len(tokens):
            return 0
        pin = tokens[ti].pin
        cols = ([pin] if pin is not None and pin >= cj else []) if pin is not None else range(cj, m)
        for col in cols:
            k = 1
            while ti + k <= len(tokens):
                span = tokens[ti:ti + k]
                if any(t.item != tokens[ti].item for t in span) or any(t.pin is not None for t in span[1:]):
                    break
                if cell_match(cells[col], [t.text for t in span]):
                    rest = rec(ti + k, col + 1)
                    if rest is not None:
                        return rest + 1
                k += 1
        return None

    return rec(0, 0)


def show_row(cells):
    return " | ".join("NULL" if c is None else c for c in cells)


def check_stated(stated_text, columns, rows):
    """(problems, values checked) for a statement's stated comment against its result."""
    stated = StatedRows(stated_text)
    problems, checked = [], 0
    if not stated.rows:
        return [f"the comment {stated_text!r} states no value"], 0
    if stated.open and len(stated.rows) > len(rows) or not stated.open and len(stated.rows) != len(rows):
        problems.append(f"states {len(stated.rows)} row(s){' and more' if stated.open else ''}, "
                        f"the statement returned {len(rows)}")
    for k, row_text in enumerate(stated.rows):
        if k >= len(rows):
            break
        tokens = row_tokens(row_text, columns)
        if not tokens:
            problems.append(f"row {k + 1}: {row_text!r} states no value")
            continue
        got = match_row(tokens, rows[k])
        if got is None:
            problems.append(f"row {k + 1}: stated {row_text.strip()!r}, got {show_row(rows[k])}")
        else:
            checked += got
    return problems, checked


# ---------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------


def raw_text_connection():
    """A connection whose every value comes back as its PostgreSQL text form (None for NULL), the way psql
    shows it (harness.connect sets extra_float_digits = 3: floats print shortest-exact)."""
    conn = h.connect(options=f"-c statement_timeout={STATEMENT_TIMEOUT_S}s")
    oids = tuple(psycopg2.extensions.string_types.keys())
    psycopg2.extensions.register_type(psycopg2.extensions.new_type(oids, "README_RAW", lambda v, cur: v), conn)
    return conn


def short(sql, width=100):
    s = " ".join(sql.split())
    return s if len(s) <= width else s[:width - 3] + "..."


def run_block(conn, block, deadline):
    """(ok, details, statements run, values checked, connection lost)."""
    problems = []
    if block.directive_error:
        problems.append(block.directive_error)
    statements, comments = split_sql(block.lines)
    attach_stated(statements, comments, problems, block)
    checked = 0
    for k, st in enumerate(statements):
        where = f"line {block.line_no(st.first_line)}"
        left = deadline - time.time()
        if left < 1:
            problems.append(f"{where}: not run, the program's {BUDGET_S} s are spent")
            return False, problems, k, checked, False
        try:
            with conn.cursor() as cur:
                if left < STATEMENT_TIMEOUT_S:   # stay within the budget
                    cur.execute(f"SET statement_timeout = {int(left * 1000)}")
                cur.execute(st.text)
                columns = [d[0] for d in cur.description] if cur.description is not None else None
                rows = cur.fetchall() if columns is not None else None
        except psycopg2.Error as e:
            msg = (e.pgerror or str(e)).strip().splitlines()
            problems.append(f"{where}: {e.pgcode or 'error'}: {msg[0] if msg else e}")
            problems.extend("  " + m for m in msg[1:3])
            problems.append(f"  in: {short(st.text)}")
            if k + 1 < len(statements):
                problems.append(f"  (the block's {len(statements) - k - 1} later statement(s) not run)")
            return False, problems, k + 1, checked, bool(conn.closed)
        if not st.stated:
            continue
        first = block.line_no(st.stated[0][0])
        if columns is None:
            problems.append(f"line {first}: states {st.stated[0][1]!r} but the statement returns no rows")
            continue
        p, c = check_stated(", ".join(t for _, t in st.stated), columns, rows)
        checked += c
        problems.extend(f"line {first}: {x}" for x in p)
    return not problems, problems, len(statements), checked, False


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else README
    name = os.path.basename(path)
    blocks = read_blocks(path)
    tap = h.Tap(len(blocks))
    t0 = time.time()
    deadline = t0 + BUDGET_S
    conn = raw_text_connection()
    total_checked = 0
    for block in blocks:
        desc = f"{name}:{block.fence_line} {block.heading.split('(')[0].strip()}"
        if block.skip:
            tap.result(True, desc, skip=block.skip)
            continue
        if not split_sql(block.lines)[0]:
            tap.result(True, desc, skip="commented-out SQL only")
            continue
        t1 = time.time()
        ok, details, ran, checked, died = run_block(conn, block, deadline)
        total_checked += checked
        tap.result(ok, f"{desc}: {ran} statement(s) run, {checked} stated value(s) match" if ok else desc, details)
        if time.time() - t1 > 5:
            tap.comment(f"{time.time() - t1:.1f} s")
        if died:
            conn = raw_text_connection()
    tap.comment(f"{total_checked} stated values checked in {len(blocks)} blocks, {time.time() - t0:.1f} s")
    return tap.finish()


if __name__ == "__main__":
    h.main_guard(main)
