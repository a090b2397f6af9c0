#!/usr/bin/python3
"""tools/upgrade_sync.py — copies function definitions from the install sources (src/sql/*.sql) into the
unreleased upgrade script, so the script stays what test/upgrade.sh demands (pg_dump of an upgraded database
equals a fresh install) without hand-copying.

    /usr/bin/python3 tools/upgrade_sync.py NAME...      e.g. supplymkt_internal.customer_dashboard_query

Each NAME (schema-qualified as in the source, @extschema@ for the extension's schema) must already be defined
in the upgrade script; its CREATE [OR REPLACE] FUNCTION ... $$; and the COMMENT ON FUNCTION after it are
replaced by the source's, keeping the script's CREATE or CREATE OR REPLACE.  A function whose signature changed
needs a DROP FUNCTION of the old one in the script first (CREATE OR REPLACE cannot rename parameters or change
argument types); a new function is pasted in by hand where its dependencies exist.  Run test/upgrade.sh after.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = [os.path.join(ROOT, 'src/sql', f) for f in ('header.sql', 'common.sql', 'dashboards.sql', 'supply.sql', 'demo.sql',
                                                   'customers.sql', 'clv.sql', 'kmeans.sql', 'recommend.sql', 'inventory.sql', 'forecast.sql')]
UP = os.path.join(ROOT, 'src/sql/versions/supplymkt--0.1.0--0.2.0.sql')


def find_block(text, name, start=0):
    """(start, end) of CREATE [OR REPLACE] FUNCTION name( ... $$; and the COMMENT ON FUNCTION name(...) after it."""
    m = re.compile(r'^CREATE (OR REPLACE )?FUNCTION ' + re.escape(name) + r'\(', re.M).search(text, start)
    if not m:
        return None
    e = re.compile(r'^\$(body|fn)?\$;\n', re.M).search(text, m.end())
    end = e.end()
    c = re.compile(r'^COMMENT ON FUNCTION ' + re.escape(name) + r'\(', re.M).match(text, end)
    if c:
        end = text.index("';\n", c.end()) + 3
    return m.start(), end


def source_block(name):
    """The definition of name in the install sources."""
    for f in SRC:
        if not os.path.exists(f):
            continue
        t = open(f).read()
        b = find_block(t, name)
        if b:
            return t[b[0]:b[1]]
    raise SystemExit(f'{name}: not in the install sources')


def replace(up, name):
    """The upgrade script with name's definition replaced by the source's."""
    b = find_block(up, name)
    if not b:
        raise SystemExit(f'{name}: not in the upgrade script (paste a new function in by hand)')
    new = source_block(name)
    if up[b[0]:b[1]].startswith('CREATE OR REPLACE'):
        new = new.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION', 1)
    return up[:b[0]] + new + up[b[1]:]


if __name__ == '__main__':
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    script = open(UP).read()
    for n in sys.argv[1:]:
        script = replace(script, n)
    open(UP, 'w').write(script)
