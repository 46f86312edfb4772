"""Checks that a repaired Linux wheel needs nothing outside itself.

Usage: python check_linux_wheel.py WHEEL
Prints JSON: {"platformTags": [...], "bundled": [...], "violations": [...]}.
Every ELF NEEDED entry must resolve inside the wheel through the object's
RPATH/RUNPATH ($ORIGIN-relative), or be a system library that the wheel's
manylinux/musllinux policy allows. Runs in native-matrix's tool environment,
which has auditwheel (for the policies) and pyelftools.
"""
import json
import os
import sys
import tempfile
import zipfile
from importlib import resources

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile


def allowed_libraries(platform_tags):
    """The union of the whitelists of the policies the wheel claims."""
    allowed = set()
    for policy_file in ("manylinux-policy.json", "musllinux-policy.json"):
        policies = json.loads((resources.files("auditwheel.policy") / policy_file).read_text())
        for policy in policies:
            names = {policy["name"], *policy.get("aliases", [])}
            if any(tag.rsplit("_", 1)[0] in names or tag.startswith(policy["name"] + "_") for tag in platform_tags):
                allowed.update(policy.get("lib_whitelist", []))
    return allowed


def wheel_tags(names, archive):
    wheel_file = next(n for n in names if n.endswith(".dist-info/WHEEL"))
    tags = [line.split(":", 1)[1].strip() for line in archive.read(wheel_file).decode().splitlines() if line.startswith("Tag:")]
    return sorted({tag.split("-")[2] for tag in tags})


def dynamic_info(path):
    with open(path, "rb") as handle:
        try:
            elf = ELFFile(handle)
        except Exception:
            return None
        needed, search = [], []
        for section in elf.iter_sections():
            if isinstance(section, DynamicSection):
                for tag in section.iter_tags():
                    if tag.entry.d_tag == "DT_NEEDED":
                        needed.append(tag.needed)
                    elif tag.entry.d_tag in ("DT_RPATH", "DT_RUNPATH"):
                        value = tag.rpath if tag.entry.d_tag == "DT_RPATH" else tag.runpath
                        search.extend(value.split(":"))
        return needed, search


def main(wheel):
    with tempfile.TemporaryDirectory() as root, zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(root)
        platform_tags = wheel_tags(names, archive)
        allowed = allowed_libraries(platform_tags)
        bundled, violations = [], []
        for name in names:
            path = os.path.join(root, name)
            if name.endswith("/") or not (".so" in os.path.basename(name)):
                continue
            info = dynamic_info(path)
            if info is None:
                continue
            if ".libs/" in name:
                bundled.append(os.path.basename(name))
            needed, search = info
            origin = os.path.dirname(path)
            dirs = [os.path.normpath(entry.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)) for entry in search if entry]
            for library in needed:
                inside = any(os.path.exists(os.path.join(d, library)) and os.path.realpath(d).startswith(os.path.realpath(root)) for d in dirs)
                # The dynamic loader is part of the system, as auditwheel treats it.
                loader = library.startswith(("ld-linux", "ld64.so", "ld-musl"))
                if not inside and not loader and library not in allowed:
                    violations.append({"file": name, "needed": library})
        print(json.dumps({"platformTags": platform_tags, "bundled": sorted(bundled), "violations": violations}))


if __name__ == "__main__":
    main(sys.argv[1])
