"""test/tap.py - the TAP reporting shared by the oracle programs in test/.

    from tap import Tap
    tap = Tap(limit=8)          # installs the crash hook
    tap.check(ok, "what was checked", ["a detail line", "info: printed even when the check passes"])
    tap.check(ok, "the same", "a detail line", "another")         # details as a list or one by one
    tap.check(True, "not run here", skip="no Citus kit")           # "ok N - ... # SKIP no Citus kit"
    tap.finish()                # prints "1..N", the results and a summary; exits 1 when a check failed

Results are printed at the end, after the plan, with up to `limit` detail lines under a failed check (lines
starting with "info:" are printed under passing checks too, all of them under a skipped one).  An exception that nobody catches is one more
failed check ("the oracle runs to the end", with its traceback), reported with the checks done so far, so a
crashed program still ends with a plan and a nonzero exit status.
"""
import sys
import traceback


class Tap:
    """A deferred TAP plan: check() records, finish() prints and exits."""

    def __init__(self, limit=8):
        self.limit = limit
        self.results = []
        sys.excepthook = self._on_crash

    def check(self, ok, desc, *details, skip=None):
        """Records one result with its detail lines (one list, or one argument each); returns ok."""
        if len(details) == 1 and isinstance(details[0], (list, tuple)):
            details = details[0]
        details = [str(d) for d in details]
        if len(details) > self.limit:
            details = details[:self.limit] + ["... %d more" % (len(details) - self.limit)]
        self.results.append((bool(ok), desc, details, skip))
        return ok

    def finish(self):
        """Prints the plan, every result and a summary line; exits 1 when a check failed, else 0."""
        print("1..%d" % len(self.results))
        failed = 0
        for i, (ok, desc, details, skip) in enumerate(self.results, 1):
            print("%s %d - %s%s" % ("ok" if ok else "not ok", i, desc, " # SKIP " + skip if skip else ""))
            if not ok:
                failed += 1
            for d in details if not ok or skip else [d for d in details if d.startswith("info:")]:
                for line in d.splitlines():
                    print("# " + line)
        if failed:
            print("# %d of %d checks failed" % (failed, len(self.results)))
        else:
            print("# all %d checks passed" % len(self.results))
        sys.stdout.flush()
        sys.exit(1 if failed else 0)

    def _on_crash(self, etype, value, tb):
        self.check(False, "the oracle runs to the end", ["".join(traceback.format_exception(etype, value, tb))])
        self.finish()
