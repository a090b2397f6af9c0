#!/usr/bin/python3
"""META.json follows the PGXN meta spec 1.0.0 and agrees with the control file and the Makefile (TAP)."""
import json
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
checks = []


def check(ok, what):
    checks.append((bool(ok), what))


meta = json.load(open(os.path.join(root, "META.json")))
control = open(os.path.join(root, "supplymkt.control")).read()
makefile = open(os.path.join(root, "Makefile")).read()
semver = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z-]+)?$")
default_version = re.search(r"default_version\s*=\s*'([^']+)'", control).group(1)
ext_version = re.search(r"^EXTVERSION\s*=\s*(\S+)", makefile, re.M).group(1)

for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    check(key in meta, "required key %s present" % key)
check(meta.get("meta-spec", {}).get("version") == "1.0.0", "meta-spec version is 1.0.0")
check(semver.match(meta.get("version", "")), "version is a semantic version")
check(meta.get("license") in ("postgresql", "bsd", "mit", "gpl_3", "apache_2_0"), "license is a spec license name")
check(meta.get("version") == default_version == ext_version, "META.json, control and Makefile versions agree")
prov = meta.get("provides", {}).get("supplymkt", {})
check(prov.get("version") == default_version and semver.match(prov.get("version", "")), "provides.supplymkt.version")
check(prov.get("file") == "supplymkt--%s.sql" % default_version, "provides.supplymkt.file names the install script")
check(os.path.exists(os.path.join(root, prov.get("docfile", "-"))), "provides.supplymkt.docfile exists")
check(meta.get("release_status") in ("stable", "testing", "unstable"), "release_status is valid")
for phase in meta.get("prereqs", {}).values():
    for rel in phase.values():
        for name, ver in rel.items():
            check(semver.match(ver) or ver == "0", "prereq %s version %s is a version" % (name, ver))

print("1..%d" % len(checks))
for i, (ok, what) in enumerate(checks, 1):
    print("%sok %d - %s" % ("" if ok else "not ", i, what))
sys.exit(0 if all(ok for ok, _ in checks) else 1)
